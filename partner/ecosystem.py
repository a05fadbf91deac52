"""The ecosystem file: the size the steward announces with the shared secret (spec 2.2).

Spec 2.2 truncates the phone token to ``floor(log2(E))`` bits, for ``E`` the number of persons
the steward expects over all partners (docs/encoding.md, "Spec 2.2"). Every partner must use
the same ``E``, or its phone tokens silently never agree with the others', so ``E`` travels
with the shared secret: a small JSON file next to it, ``<secret file>.ecosystem.json``::

    {"spec_version": "2.2", "ecosystem_persons": 250000}

Nothing in it is secret (the hub sees the widths it implies in every manifest). The steward
writes it with ``carehub partner keygen --shared-secret FILE --ecosystem-persons N`` and hands
it out with the secret; ``carehub partner encode`` reads it from next to ``--secret`` (or
``--ecosystem FILE``) and refuses to encode without it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from contract.spec import SPEC_VERSION, token_widths

SUFFIX: Final = ".ecosystem.json"
_HOW = (
    "the steward writes it with `carehub partner keygen --shared-secret SECRET "
    "--ecosystem-persons N` and hands it out with the shared secret"
)


class EcosystemError(ValueError):
    """The ecosystem file is missing or malformed; the message names the file and the fix."""


@dataclass(frozen=True)
class Ecosystem:
    """The announced ecosystem size and the token widths it gives."""

    persons: int
    spec_version: str = SPEC_VERSION

    @property
    def token_bits(self) -> dict[str, int]:
        """{truncated token column: bits kept}, as the manifest records them."""
        return token_widths(self.persons)


def ecosystem_path(secret_path: str | Path) -> Path:
    """Where the ecosystem file of a shared secret lives: next to it, ``<name>.ecosystem.json``."""
    secret = Path(secret_path)
    return secret.with_name(secret.name + SUFFIX)


def read_ecosystem(path: str | Path) -> Ecosystem:
    """Read and check an ecosystem file.

    Raises:
        EcosystemError: missing, not JSON, another spec, or a size that is not a whole number
            of at least 2; the message names the file and the fix.
    """
    p = Path(path)
    if not p.is_file():
        raise EcosystemError(
            f"ecosystem file {p} does not exist: spec {SPEC_VERSION} needs the ecosystem size "
            f"the steward announced with the shared secret ({_HOW}); put it next to the secret "
            "or pass --ecosystem FILE"
        )
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise EcosystemError(
            f"ecosystem file {p} is not JSON; ask the steward for the file written by "
            "`carehub partner keygen --ecosystem-persons`"
        ) from None
    if not isinstance(data, dict):
        raise EcosystemError(f"ecosystem file {p} is not a JSON object; {_HOW}")
    spec = data.get("spec_version")
    if spec != SPEC_VERSION:
        raise EcosystemError(
            f"ecosystem file {p} is for spec {spec!r}, this client encodes spec {SPEC_VERSION}; "
            f"ask the steward for the spec {SPEC_VERSION} announcement ({_HOW})"
        )
    persons = data.get("ecosystem_persons")
    if isinstance(persons, bool) or not isinstance(persons, int):
        raise EcosystemError(
            f"ecosystem file {p}: ecosystem_persons must be a whole number (the persons the "
            f"steward expects over all partners); {_HOW}"
        )
    try:
        token_widths(persons)
    except ValueError as exc:
        raise EcosystemError(f"ecosystem file {p}: {exc}") from None
    return Ecosystem(persons=persons, spec_version=spec)


def write_ecosystem(path: str | Path, persons: int) -> Ecosystem:
    """Write the ecosystem file (readable by all: nothing in it is secret).

    Raises:
        EcosystemError: ``persons`` below 2, or the file exists with another size (a new size
            means every partner re-encodes: the steward deletes the old file on purpose).
    """
    p = Path(path)
    try:
        token_widths(persons)
    except ValueError as exc:
        raise EcosystemError(str(exc)) from None
    if p.exists():
        old = read_ecosystem(p)
        if old.persons != persons:
            raise EcosystemError(
                f"ecosystem file {p} already announces {old.persons:,} persons; a new size "
                "changes every partner's phone tokens, so every partner must re-encode: delete "
                "the file and run keygen again to announce the new size on purpose"
            )
        return old
    p.parent.mkdir(parents=True, exist_ok=True)
    body = {"spec_version": SPEC_VERSION, "ecosystem_persons": persons}
    p.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return Ecosystem(persons=persons)
