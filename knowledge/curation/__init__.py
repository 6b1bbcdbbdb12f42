"""Curation: fact files, drafts, moderators' actions and history."""
