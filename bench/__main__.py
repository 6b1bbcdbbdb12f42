"""``python -m bench`` runs the benchmark (see ``python -m bench --help``)."""

import sys

from .cli import main

sys.exit(main())
