"""Digests: schedules, what a digest holds, gaps, and the jobs that prepare them."""
