"""``python -m bench`` runs the benchmark (see ``python -m bench --help``)."""

import sys

from .cli import main

# Guarded: an index build's worker processes start by importing the main module.
if __name__ == "__main__":
    sys.exit(main())
