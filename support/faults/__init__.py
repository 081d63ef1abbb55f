"""Faults the suite injects, as named operations (the way Celery's smoke tests keep
``WorkerKill`` and ``WorkerRestart`` in ``t/smoke/operations``).

* :mod:`support.faults.worker_processes`: kill a worker's pool processes, restart every
  worker (services stack only);
* :mod:`support.faults.fake_llm`: the fake model provider the ``@crewai`` features script
  (errors, hangs, rejected keys, tool calls);
* :mod:`support.faults.crew_failures`: the failures a scripted crew can be told to raise,
  by the words the features use.
"""
