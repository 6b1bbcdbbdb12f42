"""Shared fixtures for the core tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlite_utils
from sample import BRIEF, FACTS, GLOSSARY

from knowledge.models import Document, Fact, Glossary
from knowledge.store.db import open_db, utc_now
from knowledge.store.facts import FactStore


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


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test database lives (its directory does not exist yet)."""
    return tmp_path / "data" / "sitrep.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[sqlite_utils.Database]:
    """The database at ``db_path``, opened as the bot opens it, and closed afterwards."""
    database = open_db(db_path)
    yield database
    database.close()


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """The store's clock: the real one, unless a module says otherwise."""
    return utc_now


@pytest.fixture
def store(db: sqlite_utils.Database, clock: Callable[[], datetime]) -> FactStore:
    """A store over ``db`` stamped by ``clock``; modules add their data by overriding it."""
    return FactStore(db, clock=clock)
