"""Source documents: read a file, split it into passages, propose a passage as a fact."""
