"""Run the command line as ``python -m derivation``."""

import sys

from .cli import main

sys.exit(main())
