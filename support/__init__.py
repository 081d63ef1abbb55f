"""How the acceptance suite does things, grouped by concern.

A behaviour is three hops away: feature -> step (``steps/<concept>_steps.py``, one
sentence, one call) -> one actions module here -> the service module it exercises.

* one actions module per concept: ``graphs``, ``executions``, ``busy_workers``,
  ``listing``, ``queue_statistics``, ``priorities``, ``limits``, ``stops`` (cancel, deadlines),
  ``retries``, ``errors``, ``breakers``, ``validation``, ``crewai_crews``, ``worker_loss``,
  ``scaling``, ``performance`` and ``performance_timing``;
* ``stacks/``: the stacks a run starts (embedded, services) and their database handle;
* ``faults/``: named operations that break things (kill or restart a worker, the fake
  model provider, the failures a scripted crew raises);
* ``builders/``: what the suite sends (graph definitions, scripted crews, bad requests);
* the shared tools: ``world`` (what a scenario knows), ``client`` (the HTTP client),
  ``polling`` (``eventually``), ``matchers``, ``timestamps``, ``crowd`` (many users at
  once), ``measure`` (figures and the JSON reports), ``fixtures`` (behave fixture tags),
  ``stack_settings`` (the settings both stacks run the service with), ``thresholds``
  (the @performance checks, kept for the report);
* ``report/``: the living report (one HTML page per stack, skip reasons, the
  @performance figures against their thresholds).
"""
