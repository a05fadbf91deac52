"""Stable person keys: opaque random ids that survive re-runs, merges and splits.

Rule (documented in docs/linkage.md):

* an old key goes with the new cluster that holds most of its old records (ties: the lowest
  cluster label), so on a split the largest part keeps the key and the other parts get new keys;
* a cluster offered several old keys (a merge) keeps the oldest: the one created by the
  earliest run, ties broken by the lower key; the others are retired (event ``merged``);
* a cluster offered no old key gets a fresh key, ``P`` + 16 lower-hex from :mod:`secrets`,
  never derived from any encoding.

The same clustering of the same records therefore gives back exactly the same keys.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Literal

import duckdb
import pyarrow as pa

from linkage.records import sql

KEY_PREFIX = "P"


def new_person_key() -> str:
    """A fresh opaque person key: ``P`` + 16 lower-hex characters."""
    return new_person_keys(1)[0]


def new_person_keys(n: int) -> list[str]:
    """``n`` fresh person keys from one draw of the system's secure random source."""
    hexed = secrets.token_bytes(8 * n).hex()
    return [KEY_PREFIX + hexed[i : i + 16] for i in range(0, 16 * n, 16)]


@dataclass(frozen=True)
class Churn:
    """What one run did to the person keys.

    ``new``: keys for persons made only of new records; ``merged``: persons formed by merging
    several old persons (the oldest key survives); ``split``: old persons that fell apart;
    ``split_off``: fresh keys for the parts that did not keep the key; ``retired``: old keys no
    longer in use (merged away, or all their records withdrawn); ``unchanged``: same key, same
    records; ``updated``: same key, records added or withdrawn.
    """

    new: int = 0
    merged: int = 0
    split: int = 0
    split_off: int = 0
    retired: int = 0
    unchanged: int = 0
    updated: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def assign_keys(
    con: duckdb.DuckDBPyConnection,
    clusters: pa.Table,
    run_id: str,
    *,
    scope: Literal["all", "mapped"] = "all",
) -> Churn:
    """Give every cluster of ``clusters`` a person key; leaves temp tables for the store.

    Args:
        con: the hub connection (reads ``linkage.person_records``, ``persons``, ``runs``).
        clusters: ``partner_id, record_pseudonym, cluster_id, record_digest``: for every
            current record (scope ``all``), or for the new records and every record of the
            persons they may touch (scope ``mapped``, an incremental run).
        run_id: this run, recorded as ``created_run`` of fresh keys.
        scope: ``all`` replaces the whole answer (records missing from ``clusters`` are
            withdrawn); ``mapped`` changes only the persons with a record in ``clusters``,
            every other person keeps its key and records (and counts as unchanged).

    Returns:
        The churn counts. Temp tables ``cluster_key``, ``key_home``, ``keyless_clusters``
        and ``new_map`` stay on ``con`` for :func:`linkage.store.write_run`.
    """
    con.register("clusters_arrow", clusters)
    con.execute(sql("load_new_map"))
    con.unregister("clusters_arrow")
    con.execute(sql(f"scope_{scope}"))
    con.execute(sql("assign_keys"))
    keyless = con.sql(sql("keyless")).to_arrow_table().column("cluster_id")
    fresh = pa.table(
        {
            "cluster_id": keyless.cast(pa.string()),
            "person_key": pa.array(new_person_keys(len(keyless)), pa.string()),
        }
    )
    con.register("fresh_keys", fresh)
    con.execute(sql("add_fresh_keys"), {"run_id": run_id})
    con.unregister("fresh_keys")
    row = con.execute(sql("key_churn")).fetchall()[0]
    return Churn(*(int(v) for v in row))
