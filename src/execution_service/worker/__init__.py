"""The Celery side: the app workers load, and the task that runs one execution."""
