"""Sitrep's pure core: facts, their sources, matching and rendering.

Nothing in this package performs network I/O, reads the environment, prints, or imports
Discord; the application in ``bot`` passes in whatever it needs.
"""
