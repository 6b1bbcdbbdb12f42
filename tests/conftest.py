"""Shared fixtures for the core tests."""

from __future__ import annotations

import pytest
from sample import BRIEF, FACTS, GLOSSARY

from knowledge.models import Document, Fact, Glossary


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: takes seconds (subprocesses, crash tests); deselect with -m 'not slow'"
    )


@pytest.fixture
def facts() -> tuple[Fact, ...]:
    """The small fact set."""
    return FACTS


@pytest.fixture
def glossary() -> Glossary:
    """The small glossary."""
    return GLOSSARY


@pytest.fixture
def brief() -> Document:
    """The document the small fact set quotes."""
    return BRIEF
