"""A minimal progress indicator on stderr: no dependency, quiet when asked.

On a terminal, ``update`` rewrites one status line in place; elsewhere (a log file, CI) it
prints nothing, so logs hold only the ``step`` lines.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Steps (kept) and updates (overwritten in place) on stderr, with elapsed time."""

    def __init__(
        self, prefix: str = "", *, quiet: bool = False, stream: TextIO | None = None
    ) -> None:
        self.prefix = prefix
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()
        self._live = False
        self._tty = self.stream.isatty()

    def _stamp(self) -> str:
        minutes, seconds = divmod(int(time.perf_counter() - self.started), 60)
        return f"[{minutes:02d}:{seconds:02d}]"

    def step(self, message: str) -> None:
        """A line that stays: what the benchmark is doing now."""
        if self.quiet:
            return
        self._clear()
        print(f"{self._stamp()} {self.prefix}{message}", file=self.stream, flush=True)

    def update(self, message: str) -> None:
        """A transient status (on a terminal only), replaced by the next update or step."""
        if self.quiet or not self._tty:
            return
        self.stream.write(f"\r\033[K  {self.prefix}{message}")
        self.stream.flush()
        self._live = True

    def _clear(self) -> None:
        if self._live:
            self.stream.write("\r\033[K")
            self._live = False
