"""Rendering as plain data: the terminal, and Discord-ready parts within Discord's limits."""
