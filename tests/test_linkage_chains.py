"""Splitting persons joined through a chain (linkage/chains.py): the constrained rebuild."""

from __future__ import annotations

import pyarrow as pa
import pytest

from linkage.chains import rebuild


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
