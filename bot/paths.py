"""Where Sitrep keeps its database and finds its bundled seeds, unless told otherwise."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

# The repository's seeds/ directory (the project installs in editable mode).
BUNDLED_SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def default_db_path(env: Mapping[str, str]) -> Path:
    """$SITREP_DB, else sitrep.db in $XDG_DATA_HOME/sitrep (~/.local/share/sitrep)."""
    if env.get("SITREP_DB"):
        return Path(env["SITREP_DB"]).expanduser()
    data_home = Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "sitrep" / "sitrep.db"


def default_seeds_dir(env: Mapping[str, str]) -> Path:
    """$SITREP_SEEDS, else the seeds/ directory shipped with Sitrep."""
    return Path(env["SITREP_SEEDS"]).expanduser() if env.get("SITREP_SEEDS") else BUNDLED_SEEDS
