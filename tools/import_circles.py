"""Count the import circles between carehub's top-level packages (issue 18's measure).

    python3 dev.py circles        # or: .venv/bin/python tools/import_circles.py

Reads the packages from ``[tool.importlinter] root_packages`` in pyproject.toml, builds the
import graph with grimp (import-linter's engine: every import, at module top or inside a
function), and prints:

* the package pairs that import each other, and every larger circle (strongly connected
  packages);
* the imports of carehub's own packages written inside a function (the layer rules leave no
  reason for one: only optional heavy third-party libraries are imported late).

Exit status 1 when a circle remains.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from itertools import combinations
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent


def _packages() -> list[str]:
    linter = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return list(linter["root_packages"])


def package_edges(graph: grimp.ImportGraph, packages: list[str]) -> set[tuple[str, str]]:
    """(importer package, imported package) for every import across packages."""
    edges = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = module.split(".")[0], imported.split(".")[0]
            if a != b and a in packages and b in packages:
                edges.add((a, b))
    return edges


def circles(packages: list[str], edges: set[tuple[str, str]]) -> list[list[str]]:
    """Mutual pairs, then every larger set of packages that reach each other (a circle)."""
    reach = {p: {b for a, b in edges if a == p} for p in packages}
    changed = True
    while changed:  # transitive closure: a dozen packages, nothing to optimise
        changed = False
        for p in packages:
            more = set().union(*(reach[q] for q in reach[p])) - reach[p]
            if more:
                reach[p] |= more
                changed = True
    found = [[a, b] for a, b in combinations(sorted(packages), 2) if {(a, b), (b, a)} <= edges]
    groups = {frozenset({p} | {q for q in reach[p] if p in reach[q]}) for p in packages}
    found += [sorted(g) for g in groups if len(g) > 2]
    return found


def imports_in_functions(packages: list[str]) -> list[str]:
    """``file:line module`` for each import of a carehub package written inside a function."""
    late = []
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            for func in ast.walk(tree):
                if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for node in ast.walk(func):
                    names = []
                    if isinstance(node, ast.Import):
                        names = [alias.name for alias in node.names]
                    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                        names = [node.module]
                    late += [
                        f"{path.relative_to(ROOT)}:{node.lineno} {name}"
                        for name in names
                        if name.split(".")[0] in packages
                    ]
    return sorted(set(late))


def main() -> int:
    packages = _packages()
    graph = grimp.build_graph(*packages, include_external_packages=False)
    found = circles(packages, package_edges(graph, packages))
    late = imports_in_functions(packages)
    pairs = sum(len(c) == 2 for c in found)
    print(
        f"import circles between top-level packages: {len(found)} "
        f"({pairs} pairs, {len(found) - pairs} larger)"
    )
    for circle in found:
        print("   ", " <-> ".join(circle))
    print(f"imports of carehub packages inside functions: {len(late)}")
    for line in late:
        print("   ", line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
