"""Celery tasks. Thin: the work is in ``execute``."""

from __future__ import annotations

from typing import Any

from celery.signals import worker_process_init

from ..celery_app import RUN_EXECUTION, get_celery
from ..db import reset_engines
from .execute import run_execution

app = get_celery()


@app.task(name=RUN_EXECUTION, bind=True, acks_late=True, reject_on_worker_lost=True)
def run_execution_task(self: Any, execution_id: str) -> None:
    run_execution(execution_id, worker=self.request.hostname or "worker")


@worker_process_init.connect
def _after_fork(**_: Any) -> None:
    # a forked pool child must not share the parent's database connections
    reset_engines(close=False)
