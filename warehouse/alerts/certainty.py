"""How surely two records of a linked person are the same person: the widest link path.

A person is a connected component of accepted links, so two of its records may be joined only
through others (A-B-C), and one weak link anywhere on the way can have merged two people. The
certainty of a pair is therefore the best, over all paths between them inside the person, of
the weakest link on the path (the "widest path"); a direct link is one such path. On the
synthetic region this separates the pairs that are truly one resident from the false merges
cleanly where a single link's probability does not (benchmarks/RESULTS.md, Issue 21).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable

import pyarrow as pa

Record = tuple[str, str]  # (partner_id, record_pseudonym)


def widest_paths(
    links: Iterable[tuple[Record, Record, float]], source: Record
) -> dict[Record, float]:
    """The widest-path certainty from ``source`` to every record it reaches over ``links``."""
    graph: dict[Record, list[tuple[Record, float]]] = defaultdict(list)
    for left, right, probability in links:
        graph[left].append((right, probability))
        graph[right].append((left, probability))
    best: dict[Record, float] = {source: 1.0}
    heap = [(-1.0, source)]
    while heap:
        width, node = heapq.heappop(heap)
        if -width < best.get(node, 0.0):
            continue
        for neighbour, probability in graph[node]:
            through = min(-width, probability)
            if through > best.get(neighbour, 0.0):
                best[neighbour] = through
                heapq.heappush(heap, (-through, neighbour))
    return best


def certainty_table(links: pa.Table, pairs: pa.Table) -> pa.Table:
    """Per pair of ``pairs`` (person_key, source_partner, source_pseudonym, recipient,
    recipient_pseudonym), the widest path between the two records over ``links`` (person_key,
    partner_id_l, record_pseudonym_l, partner_id_r, record_pseudonym_r, match_probability)."""
    by_person: dict[str, list[tuple[Record, Record, float]]] = defaultdict(list)
    for row in links.to_pylist():
        by_person[row["person_key"]].append(
            (
                (row["partner_id_l"], row["record_pseudonym_l"]),
                (row["partner_id_r"], row["record_pseudonym_r"]),
                float(row["match_probability"]),
            )
        )
    memo: dict[tuple[str, Record], dict[Record, float]] = {}
    out: dict[str, list[object]] = defaultdict(list)
    for row in pairs.to_pylist():
        source = (row["source_partner"], row["source_pseudonym"])
        key = (row["person_key"], source)
        if key not in memo:
            memo[key] = widest_paths(by_person.get(row["person_key"], []), source)
        for column in ("source_partner", "source_pseudonym", "recipient", "recipient_pseudonym"):
            out[column].append(row[column])
        out["link_probability"].append(
            memo[key].get((row["recipient"], row["recipient_pseudonym"]), 0.0)
        )
    columns = ("source_partner", "source_pseudonym", "recipient", "recipient_pseudonym")
    return pa.table(
        {
            **{c: pa.array(out[c], pa.string()) for c in columns},
            "link_probability": pa.array(out["link_probability"], pa.float64()),
        }
    )
