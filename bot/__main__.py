"""`python -m bot` runs the same CLI as `sitrep`."""

import sys

from .cli import main

sys.exit(main())
