"""The living report: what a run of the suite leaves for the people who read the features.

* :mod:`support.report.formatter`: behave's HTML formatter for this suite, one
  self-contained page per stack (``reports/html/<stack>.html``), with the reason every
  skipped scenario was skipped, and ``attach_html`` / ``attach_png`` to put more on the
  scenario that runs;
* :mod:`support.report.performance`: a @performance scenario's figures against its
  thresholds (``support/thresholds.py``), as an HTML table and, where matplotlib is
  installed, a chart.

The check that the page, rendered by headless Chromium, lists every feature is
``.ci/report_check.py``.
"""
