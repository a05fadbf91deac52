"""Persons as connected components of the accepted links (a full run's clustering).

Splink's own clustering iterates SQL joins until labels settle (7-11 s at a million records
here); the components of the same graph come from ``scipy.sparse.csgraph`` in a fraction of a
second. Both give the same partition; only the cluster labels differ, and person keys never
depend on labels (see :mod:`linkage.keys`).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from linkage.records import sql


def components(nodes: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The component label of each node ``0..nodes-1`` of an undirected graph."""
    # scipy.sparse.csgraph takes seconds to import (hub extra): only clustering pays it.
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    graph = coo_array(
        (np.ones(len(left), dtype=np.int8), (left, right)), shape=(nodes, nodes)
    ).tocsr()
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels)


def cluster_records(con: duckdb.DuckDBPyConnection) -> None:
    """Cluster ``records`` by the links in ``accepted`` (sql/guarded_links.sql).

    Leaves temp table ``full_clusters(partner_id, record_pseudonym, cluster_id)`` on ``con``
    (Splink's work database), one row per record.
    """
    con.execute(sql("node_ids"))
    nodes = int(con.execute(sql("count_nodes")).fetchall()[0][0])
    edges = con.execute(sql("link_edges")).fetchnumpy()
    labels = components(nodes, edges["node_l"], edges["node_r"])
    con.register("labels_arrow", pa.table({"node": np.arange(nodes), "label": labels}))
    try:
        con.execute(sql("full_clusters"))
    finally:
        con.unregister("labels_arrow")
