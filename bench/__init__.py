"""Sitrep's benchmark: speed, memory and scaling of matching, run by hand (``python -m bench``).

Never part of CI's pass/fail: ``tests/test_bench.py`` checks only that the pieces run and
produce well-formed results on a tiny store.
"""
