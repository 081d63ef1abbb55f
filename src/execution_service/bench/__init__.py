"""``execution-service bench``: measure the service against raw Celery on the services
stack, in one run, on a stack the benchmark starts and takes down itself.

Modules: ``options`` (the command's flags), ``stack`` (PostgreSQL database, Redis
number, API and worker processes), ``raw_app`` and ``baseline`` (raw Celery: a no-op
task with the service's Celery settings), ``load`` and ``http`` (load generators in
processes of their own), ``service_runs`` (the service through its API), ``memory``
(RSS growth), ``seed`` and ``scaling`` (the worker and stored-rows curves), ``report``
and ``chart`` (JSON, table, PNG), ``run`` (the order of it all).
"""
