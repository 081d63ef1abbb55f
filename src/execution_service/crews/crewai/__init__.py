"""The crewai adapter, one module per job: ``runner`` (build, run and stop a crew),
``library`` (load real or scripted crewai once per process), ``events`` (callbacks and
event-bus listeners scoped to the execution that caused them; the stop hook),
``environment`` (offline environment variables, crewai's home), ``log_redaction``."""
