"""Sitrep's benchmark: speed, memory and scaling of matching, run by hand (``python -m bench``).

Usage::

    python -m bench                       # seed, 1k, 10k, 100k (under 10 min on 2 cores)
    python -m bench --full                # adds 1M (much longer; a 5 GB database)
    python -m bench --sizes seed,10k --queries 100 --skip-baselines
    python -m bench.profile 10k --memory  # where ours spends its time and memory

Stores are generated deterministically (``bench.generate``), built once into
``bench/results/cache/`` (``bench.build``) and measured each in a fresh process
(``bench.worker``, ``bench.measure``); results go to the terminal and to
``bench/results/bench-<time>.json`` (``bench.report``). Never part of CI's pass/fail:
``tests/test_bench.py`` checks only that the pieces run and produce well-formed results on a
tiny store.
"""
