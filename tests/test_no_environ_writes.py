"""Nothing outside the tests changes the process environment.

Resources are passed to the definitions explicitly (``pipelines.definitions.build_definitions``)
and deploy-time configuration is read through ``dagster.EnvVar``; a write to ``os.environ`` is
process-wide, leaks between runs and threads, and is what this test keeps out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP = {".venv", "tests", ".git", "node_modules"}
# os.environ[...] = / del os.environ[...] / os.environ.update|setdefault|pop|popitem|clear(...)
# / os.putenv / os.unsetenv.
WRITE = re.compile(
    r"os\.environ\s*\[[^\]]*\]\s*=(?!=)"
    r"|del\s+os\.environ\b"
    r"|os\.environ\s*\.\s*(?:update|setdefault|pop|popitem|clear)\s*\("
    r"|os\.(?:putenv|unsetenv)\s*\("
)


def _sources() -> list[Path]:
    return sorted(
        p for p in ROOT.rglob("*.py") if not SKIP.intersection(p.relative_to(ROOT).parts[:-1])
    )


@pytest.mark.parametrize(
    ("line", "writes"),
    [
        ('os.environ["CAREHUB_HOME"] = str(root)', True),
        ("os.environ[name] = value", True),
        ("os.environ.update(saved)", True),
        ('os.environ.setdefault("X", "1")', True),
        ("os.environ.pop(name, None)", True),
        ("del os.environ[name]", True),
        ('os.putenv("X", "1")', True),
        ('chosen = os.environ.get("CAREHUB_HOME")', False),
        ('if os.environ["X"] == "1":', False),
        ('env = {"X": "1", **os.environ}', False),
    ],
)
def test_the_pattern_tells_writes_from_reads(line: str, writes: bool) -> None:
    assert bool(WRITE.search(line)) is writes


def test_no_code_outside_tests_writes_the_environment() -> None:
    sources = _sources()
    assert any(p.name == "runner.py" for p in sources)  # the walk reaches the packages
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if WRITE.search(line)
    ]
    assert not found, "pass values explicitly instead of writing os.environ:\n" + "\n".join(found)
