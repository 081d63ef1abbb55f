"""The scripted stand-in for crewai: ``library`` (crewai's names, following a script),
``failures`` (the failures it raises, built as crewai and its clients raise them) and
``script`` (the script's schema: a leaf the graph schema imports, without a cycle)."""
