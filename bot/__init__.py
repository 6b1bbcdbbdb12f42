"""Sitrep's application layer: configuration, the Discord client and its cogs, and the CLI."""
