"""The Celery side: the app workers load (``app``), its tasks (``tasks``), the story of
one attempt (``attempt``), the watch loop around a crew (``supervise``), the throttled
progress writer (``progress``), the kept crew threads (``crew_threads``) and the
reaper (``reaper``). The SQL they need is in ``execution_service.store``."""
