"""Builders: what the suite sends, made from the words the features use.

* :mod:`support.builders.graph_definitions`: graph definitions, for scripted crews (the
  stand-in most features run) and for real crewai crews (``features/crewai/``);
* :mod:`support.builders.scripted`: the scripts a scripted crew follows (steps, outputs,
  failures), carried inside the graph definition;
* :mod:`support.builders.bad_requests`: the catalogue of bad requests the validation
  feature sends, by name.

Builders only build: sending and checking are the actions modules' job (``support/*.py``).
"""
