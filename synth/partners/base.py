"""What every partner module provides, and the running counters behind its ids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from synth.config import PartnerId, Sector
from synth.partners.common import IdFormat


@dataclass
class Counters:
    """Running numbers per id kind, continued across chunks so ids never repeat."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, kind: str, n: int) -> np.ndarray:
        """The next ``n`` numbers of ``kind``."""
        start = self.next.get(kind, 0)
        self.next[kind] = start + n
        return np.arange(start, start + n, dtype=np.int64)


@dataclass(frozen=True)
class EventContext:
    """What an events writer needs besides the events."""

    counters: Counters
    rng: np.random.Generator
    salt: int

    def ids(self, fmt: IdFormat, kind: str, n: int) -> pl.Series:
        """``n`` fresh ids of one kind."""
        return fmt.make(self.counters.take(kind, n), self.salt + hash_kind(kind))


def hash_kind(kind: str) -> int:
    """A stable small number per id kind (``hash`` of str is salted per process)."""
    return sum((i + 1) * ord(ch) for i, ch in enumerate(kind)) * 104_729


PersonsWriter = Callable[[pl.DataFrame, np.random.Generator], pl.DataFrame]
EventsWriter = Callable[[pl.DataFrame, EventContext], dict[str, pl.DataFrame]]


@dataclass(frozen=True)
class PartnerSpec:
    """One partner of the synthetic region and how it writes its export."""

    partner_id: PartnerId
    sector: Sector
    person_file: str
    event_files: tuple[str, ...]
    record_id: IdFormat
    persons: PersonsWriter
    events: EventsWriter
