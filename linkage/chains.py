"""Persons joined through a chain: split where the model holds two of their records apart.

Connected components join two records whenever a path of accepted links runs between them:
a record with little to go on (a DOB missing, a given name replaced) can link to a parent and
to a child of one name, or to both twins, and the component then holds two people whose own
pair the model scores as two people. Splink's clustering (connected components, or one-to-one
clustering for duplicate-free sources) has no cannot-link constraint, so this step adds one:

1. every pair of records inside a person of three or more records is scored by the model
   (Splink's ``_score_missing_cluster_edges``: the same comparisons and term frequencies as
   the run's scores, also for pairs no blocking rule met);
2. a pair whose match weight is below ``min_weight`` is a conflict: the model says the two
   records are two people, overwhelmingly (the default, -30 bits, is odds of a billion to one
   against; at -10 to -25 bits the hard profile still holds true pairs of one person whose
   records disagree on nearly everything, and splitting there lost more true pairs than
   false ones, benchmarks/RESULTS.md);
3. a person with a conflict is rebuilt from its accepted links, strongest first (Kruskal's
   order); a link is refused, and dropped from the accepted links, when it would put two
   records into one group whose conflict outweighs it (weight below minus the link's
   weight: an exact SSN, +40 bits, still joins records that disagree on all else).

A person of two records, or one whose every pair is an accepted link, cannot hold a conflict
and is left as it is: at a million records the added work is the scoring of the pairs that
are no accepted link inside persons of three or more records.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from splink import Linker

from linkage.records import sql


@dataclass(frozen=True)
class ChainSplit:
    """What the split did: persons examined and split, links refused."""

    persons_checked: int
    pairs_scored: int
    persons_split: int
    links_refused: int


def split_chains(con: duckdb.DuckDBPyConnection, linker: Linker, min_weight: float) -> ChainSplit:
    """Split the persons of ``full_clusters`` that hold a conflict (a pair of records scored
    below ``min_weight``), on ``con`` (Splink's work database of ``linker``); drops the
    refused links from ``accepted``."""
    con.execute(sql("chain_members"))
    checked = int(con.execute(sql("count_chain_persons")).fetchall()[0][0])
    if checked == 0:
        return ChainSplit(0, 0, 0, 0)
    api = linker._db_api
    members = api.table_to_splink_dataframe("chain_members", "chain_members")
    accepted = api.table_to_splink_dataframe("chain_accepted", "chain_accepted")
    # Splink's only scorer of arbitrary pairs with the run's term frequencies (private, no
    # public counterpart in Splink 5): every pair inside the persons, blocked or not, but
    # the accepted links (above the threshold, never a conflict).
    pairs = linker.inference._score_missing_cluster_edges(members, accepted)
    pairs.as_duckdbpyrelation().create_view("chain_pairs", replace=True)
    scored = int(con.execute(sql("count_chain_pairs")).fetchall()[0][0])
    edges = con.sql(sql("chain_edges"), params={"min_weight": min_weight}).to_arrow_table()
    conflicts = edges.filter(edges.column("conflict"))
    if conflicts.num_rows == 0:
        return ChainSplit(checked, scored, 0, 0)
    # Only the persons with a conflict are rebuilt; the others keep their component.
    contested = pc.is_in(edges.column("cluster_id"), value_set=conflicts.column("cluster_id"))
    links = edges.filter(pc.and_(pc.invert(edges.column("conflict")), contested))
    refused, relabel = rebuild(links, conflicts)
    con.register("refused_arrow", refused)
    con.register("relabel_arrow", relabel)
    try:
        con.execute(sql("drop_refused_links"))
    finally:
        con.unregister("refused_arrow")
        con.unregister("relabel_arrow")
    split = len(set(relabel.column("label").to_pylist())) - len(
        set(conflicts.column("cluster_id").to_pylist())
    )
    return ChainSplit(checked, scored, split, refused.num_rows)


def rebuild(links: pa.Table, conflicts: pa.Table, ratio: float = 1.0) -> tuple[pa.Table, pa.Table]:
    """Greedy constrained clustering of the persons in ``conflicts``.

    ``links`` (cluster_id, node_l, node_r, match_weight) come strongest first; each joins two
    groups unless a pair across them (``conflicts``: node_l, node_r, match_weight) scores
    below -ratio * the link's weight. Returns the refused links
    (node_l, node_r) and every node's new label (node, label: ``<cluster_id>.<smallest node>``).
    """
    against: dict[tuple[int, int], float] = {}
    for a, b, w in zip(
        conflicts.column("node_l").to_pylist(),
        conflicts.column("node_r").to_pylist(),
        conflicts.column("match_weight").to_pylist(),
        strict=True,
    ):
        against[(min(a, b), max(a, b))] = w
    parent: dict[int, int] = {}
    groups: dict[int, list[int]] = {}
    cluster_of: dict[int, str] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        groups.setdefault(x, [x])
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    refused_l, refused_r = [], []
    for cluster, a, b, w in zip(
        links.column("cluster_id").to_pylist(),
        links.column("node_l").to_pylist(),
        links.column("node_r").to_pylist(),
        links.column("match_weight").to_pylist(),
        strict=True,
    ):
        cluster_of[a] = cluster_of[b] = cluster
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        cross = (against.get((min(x, y), max(x, y)), 0.0) for x in groups[ra] for y in groups[rb])
        if min(cross) < -ratio * w:
            refused_l.append(a)
            refused_r.append(b)
            continue
        if len(groups[ra]) < len(groups[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        groups[ra].extend(groups.pop(rb))
    nodes = sorted(cluster_of)
    labels = []
    for node in nodes:
        root = find(node)
        labels.append(f"{cluster_of[node]}.{min(groups[root])}")
    refused = pa.table(
        {"node_l": pa.array(refused_l, pa.int64()), "node_r": pa.array(refused_r, pa.int64())}
    )
    relabel = pa.table({"node": pa.array(nodes, pa.int64()), "label": pa.array(labels)})
    return refused, relabel
