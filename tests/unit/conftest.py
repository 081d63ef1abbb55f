"""Settings shared by the unit tests: fast, pure logic, no stack, no network.

Hypothesis runs without deadlines: the machine running the suite may be shared, and a
slow example is not a wrong one (the racing property on SQLite is slow by nature).
``HYPOTHESIS_PROFILE=thorough`` runs the properties that keep hypothesis's default
number of examples (100) with 1,000 each.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("unit", deadline=None)
settings.register_profile("thorough", deadline=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "unit"))
