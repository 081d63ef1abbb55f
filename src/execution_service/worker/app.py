"""``celery -A execution_service.worker.app worker`` loads this module's ``app``."""

from __future__ import annotations

from execution_service.messaging.celery_app import get_celery
from execution_service.worker import tasks  # noqa: F401  (registers the tasks on the app)

app = get_celery()
