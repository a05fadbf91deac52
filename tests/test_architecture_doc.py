"""docs/architecture.md states the layer order once; the import-linter contract is that list."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _doc_layers() -> list[str]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    blocks = re.findall(r"^```layers\n(.*?)^```", text, flags=re.M | re.S)
    assert len(blocks) == 1, "docs/architecture.md must hold exactly one ```layers block"
    return [line.strip() for line in blocks[0].splitlines() if line.strip()]


def _linter() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def test_the_layer_contract_is_the_documented_order() -> None:
    (layers,) = [c["layers"] for c in _linter()["contracts"] if c["type"] == "layers"]
    assert layers == _doc_layers()


def test_every_required_layer_is_a_package_the_linter_reads() -> None:
    names = {
        name.strip()
        for line in _doc_layers()
        for name in re.split(r"[|:]", line)
        if not name.strip().startswith("(")
    }
    assert names <= set(_linter()["root_packages"])
    assert all((ROOT / name / "__init__.py").is_file() for name in names)
