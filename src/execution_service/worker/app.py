"""``celery -A execution_service.worker.app worker`` loads this module's ``app``."""

from __future__ import annotations

from ..celery_app import get_celery
from . import tasks  # noqa: F401  (registers the tasks on the app)

app = get_celery()
