"""Running a crew: the runner interface (``interface``), this process's runner
(``runner.get_runner``), the real crewai adapter (``crewai/``), the scripted stand-in
for crewai (``scripted/``) and the tools agents may use (``tools``)."""
