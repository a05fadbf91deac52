"""The hub's home directory: one configurable root with a fixed, documented layout.

The root comes from ``--home`` on the command line, else ``$CAREHUB_HOME``, else
``./.carehub``. Nothing here reads the environment at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = Path(".carehub")
HOME_ENV = "CAREHUB_HOME"


@dataclass(frozen=True)
class HubHome:
    """Paths inside one hub home directory (see README, "The hub's home directory")."""

    root: Path

    @classmethod
    def resolve(cls, home: str | Path | None = None) -> HubHome:
        """Return the home at ``home``, else ``$CAREHUB_HOME``, else ``./.carehub``."""
        chosen = home or os.environ.get(HOME_ENV) or DEFAULT_HOME
        return cls(Path(chosen).expanduser().resolve())

    @property
    def config(self) -> Path:
        """Governance and hub configuration (YAML, versioned)."""
        return self.root / "config"

    @property
    def governance(self) -> Path:
        """Governance proposals, partners' approvals and every approved version (JSON, YAML)."""
        return self.root / "governance"

    @property
    def keys(self) -> Path:
        """The hub's Ed25519 signing keys (private, 0600) and published public keys."""
        return self.root / "keys"

    @property
    def landing(self) -> Path:
        """Partners drop submission packages in ``landing/<partner>/<submission_id>/``."""
        return self.root / "landing"

    @property
    def archive(self) -> Path:
        """Ingested packages, moved here from landing after a committed load."""
        return self.root / "archive"

    @property
    def quarantine(self) -> Path:
        """Rejected packages, moved whole, with ``reason.json`` and ``reason.txt``."""
        return self.root / "quarantine"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def hub_db(self) -> Path:
        """The hub's own DuckDB: staging, linkage, features, segments. Never published."""
        return self.warehouse / "hub.duckdb"

    @property
    def marts(self) -> Path:
        return self.root / "marts"

    @property
    def marts_db(self) -> Path:
        """The analysts' read-only DuckDB of de-identified aggregates."""
        return self.marts / "marts.duckdb"

    @property
    def models(self) -> Path:
        """Splink model JSON and diagnostic charts."""
        return self.root / "models"

    @property
    def outbox(self) -> Path:
        """Encrypted, signed partner extracts: ``outbox/<partner>/``."""
        return self.root / "outbox"

    @property
    def quality(self) -> Path:
        """Great Expectations project and its Data Docs HTML."""
        return self.root / "quality"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def audit(self) -> Path:
        """The append-only, hash-chained disclosure audit log."""
        return self.root / "audit"

    @property
    def logs(self) -> Path:
        """The steward-facing hub log (``carehub.log``)."""
        return self.root / "logs"

    @property
    def dagster_home(self) -> Path:
        """DAGSTER_HOME for ``carehub ui``: run storage, event log, schedules (its
        ``dagster.yaml`` is the pipelines' business: ``pipelines.dagster_home``)."""
        return self.root / "dagster"

    def ensure(self) -> HubHome:
        """Create every folder of the layout; idempotent. (Dagster's ``dagster.yaml`` in
        :attr:`dagster_home` is written by ``pipelines.dagster_home``.)"""
        for path in (
            self.config,
            self.keys,
            self.landing,
            self.archive,
            self.quarantine,
            self.warehouse,
            self.marts,
            self.models,
            self.outbox,
            self.quality,
            self.reports,
            self.audit,
            self.logs,
            self.dagster_home,
        ):
            path.mkdir(parents=True, exist_ok=True)
        return self
