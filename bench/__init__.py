"""The benchmark: the service against raw Celery and the peers (Flower, Prefect) on the
services stack, in one run, on a stack the benchmark starts and takes down itself.

It lives beside ``src/``, not in the shipped package: run it from a checkout with
``python -m bench [--quick ...]`` (or ``execution-service bench``, which runs that when
it finds this folder beside ``src/``). It imports ``execution_service`` and ``harness``
(the scratch database and Redis claims, process handling, percentiles and the HTTP
client it shares with the acceptance suite).

Modules: ``options`` (the command's flags), ``measured_stack`` (PostgreSQL
database, Redis number, API and worker processes), ``raw_app`` and ``baseline`` (raw
Celery: a no-op task with the service's Celery settings), ``load_generator`` (crowds of
clients in processes of their own), ``service_runs`` (the service through its API),
``cpu`` (CPU per execution, by process), ``memory`` (RSS growth), ``seed`` and
``scaling`` (the worker and stored-rows curves), ``stats`` (latency summaries),
``user_latency`` (answer to running and completed on an idle stack, against raw
Celery's publish to start), ``flower_peer``, ``prefect_peer`` and ``prefect_flows`` (the
peers a user would pick instead: Flower's async-apply, Prefect 3's server and runner),
``peer_runs`` (their rounds and the service / peer ratios),
``report`` and ``chart`` (JSON, table, PNG), ``run`` (the order of it all), and
``__main__`` (the command line).
"""
