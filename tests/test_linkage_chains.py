"""Splitting persons joined through a chain (linkage/chains.py): the constrained rebuild, and
a real run whose stored links still make its persons."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from schema_support import add_persons, create_hub_schema

from kernel.home import HubHome
from linkage.chains import rebuild
from linkage.components import components
from linkage.run import run_linkage
from tests.test_linkage_support import encoded_region, fast_settings


def _links(rows: list[tuple[int, int, float]]) -> pa.Table:
    ordered = sorted(rows, key=lambda r: -r[2])
    return pa.table(
        {
            "cluster_id": ["c"] * len(ordered),
            "node_l": pa.array([r[0] for r in ordered], pa.int64()),
            "node_r": pa.array([r[1] for r in ordered], pa.int64()),
            "match_weight": [r[2] for r in ordered],
        }
    )


def _conflicts(rows: list[tuple[int, int, float]]) -> pa.Table:
    return pa.table(
        {
            "cluster_id": ["c"] * len(rows),
            "node_l": pa.array([r[0] for r in rows], pa.int64()),
            "node_r": pa.array([r[1] for r in rows], pa.int64()),
            "match_weight": [r[2] for r in rows],
        }
    )


# (case, accepted links (l, r, weight), conflicts (l, r, weight), expected groups, refused)
CASES = [
    (
        "a parent and a child of one name, joined by a record without a DOB: the weaker link goes",
        [(0, 1, 20.0), (1, 2, 12.0)],
        [(0, 2, -35.0)],
        [{0, 1}, {2}],
        [(1, 2)],
    ),
    (
        "the conflict is weaker than the link (an exact SSN): the person stays whole",
        [(0, 1, 42.0), (1, 2, 40.0)],
        [(0, 2, -35.0)],
        [{0, 1, 2}],
        [],
    ),
    (
        "a conflict across a later merge: two groups each built first, the bridge refused",
        [(0, 1, 30.0), (2, 3, 28.0), (1, 2, 6.0)],
        [(0, 3, -31.0)],
        [{0, 1}, {2, 3}],
        [(1, 2)],
    ),
    (
        "a second path around a refused link is refused as well",
        [(0, 1, 25.0), (1, 2, 9.0), (0, 2, 8.0)],
        [(1, 2, -40.0)],
        [{0, 1}, {2}],
        [(1, 2), (0, 2)],
    ),
    (
        "no conflict between the groups: one person",
        [(0, 1, 25.0), (2, 3, 25.0), (1, 2, 5.0)],
        [(0, 2, 1.0)],
        [{0, 1, 2, 3}],
        [],
    ),
]


@pytest.mark.parametrize(
    ("links", "conflicts", "groups", "refused"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_rebuild(
    links: list[tuple[int, int, float]],
    conflicts: list[tuple[int, int, float]],
    groups: list[set[int]],
    refused: list[tuple[int, int]],
) -> None:
    got_refused, relabel = rebuild(_links(links), _conflicts(conflicts))
    by_label: dict[str, set[int]] = {}
    for node, label in zip(
        relabel.column("node").to_pylist(), relabel.column("label").to_pylist(), strict=True
    ):
        by_label.setdefault(label, set()).add(node)
    assert sorted(by_label.values(), key=min) == groups
    assert (
        list(
            zip(
                got_refused.column("node_l").to_pylist(),
                got_refused.column("node_r").to_pylist(),
                strict=True,
            )
        )
        == refused
    )


# --- a real run: the stored links and the persons agree after a split --------------------


@pytest.fixture(scope="module")
def hard_region(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    records, _truth = encoded_region(
        tmp_path_factory.mktemp("chains"), residents=2500, seed=4, profile="hard", key_seed=4
    )
    return records


# (case, chain_split_weight)
RUNS = [
    ("plain connected components", None),
    ("the default, -30 bits", -30.0),
    # Every pair inside a person that is no accepted link is a conflict (refused where it
    # outweighs the link that would join it: rebuild's cases above).
    ("every unlinked pair a conflict", 60.0),
]


@pytest.mark.parametrize("split_weight", [r[1] for r in RUNS], ids=[r[0] for r in RUNS])
def test_stored_links_make_the_persons(
    tmp_path: Path, hard_region: pl.DataFrame, split_weight: float | None
) -> None:
    home = HubHome(tmp_path / "home").ensure()
    settings = replace(fast_settings(), chain_split_weight=split_weight)
    with duckdb.connect(str(home.hub_db)) as con:
        create_hub_schema(con)
        add_persons(con, hard_region.to_arrow())
        result = run_linkage(con, home, settings=settings)
        persons = dict(
            con.execute(
                "SELECT partner_id || '/' || record_pseudonym, person_key "
                "FROM linkage.person_records"
            ).fetchall()
        )
        links = con.execute(
            "SELECT partner_id_l || '/' || record_pseudonym_l, "
            "partner_id_r || '/' || record_pseudonym_r FROM linkage.links"
        ).fetchall()
    if split_weight is None:
        assert result.chains is None
    else:
        # Persons of three or more records with a pair that is no link: some on any region.
        assert result.chains is not None
        assert result.chains.persons_checked > 0
        assert result.chains.pairs_scored >= result.chains.persons_checked
    # Every stored link lies inside one person, and the links connect every person.
    assert all(persons[a] == persons[b] for a, b in links)
    nodes = {key: i for i, key in enumerate(persons)}
    labels = components(
        len(nodes),
        np.array([nodes[a] for a, _ in links], dtype=np.int64),
        np.array([nodes[b] for _, b in links], dtype=np.int64),
    )
    by_person: dict[str, set[int]] = {}
    for key, i in nodes.items():
        by_person.setdefault(persons[key], set()).add(int(labels[i]))
    assert all(len(found) == 1 for found in by_person.values())
