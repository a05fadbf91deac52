"""Progress for the demo's long steps, readable on a terminal and when piped to a file.

On a terminal a step shows a spinner with its latest note; piped (a log, ``| tee``, CI) there is
no live display, so a step prints a start line, a note at most every few seconds, and how long it
took. Every text goes through :class:`rich.text.Text`, never markup, so names such as
``[schema_and_types]`` are printed as they are.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.text import Text

# Piped: at most one progress note per this many seconds (a terminal updates its spinner live).
NOTE_EVERY_SECONDS = 5.0

Note = Callable[[str], None]


@contextmanager
def step(console: Console, label: str) -> Iterator[Note]:
    """Show ``label`` while the block runs; the block calls ``note(text)`` to report progress."""
    started = time.monotonic()
    if console.is_terminal:
        with console.status(Text(label)) as status:
            yield lambda text: status.update(Text(f"{label}: {text}"))
    else:
        console.print(Text(f"... {label}"))
        last = [started]

        def note(text: str) -> None:
            now = time.monotonic()
            if now - last[0] >= NOTE_EVERY_SECONDS:
                console.print(Text(f"    {text}", style="dim"))
                last[0] = now

        yield note
    console.print(Text(f"    {label}: done in {time.monotonic() - started:.1f} s", style="dim"))
