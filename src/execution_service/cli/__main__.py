"""``python -m execution_service.cli``: the ``execution-service`` command."""

import sys

from execution_service.cli import main

sys.exit(main())
