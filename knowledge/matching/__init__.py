"""Matching: text analysis, the lexicon, the term index and the matcher — the question path."""
