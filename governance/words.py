"""A governance change in plain language, computed from the two texts alone.

The partner client recomputes these words from the proposal's old and new text rather than
trusting the hub's rendering, so what a partner reads is what it signs. The walk is generic
(any key of the governance is described, including sections added later, such as
``subscriptions:``); partners, agreements and the quorum get friendlier sentences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from contract.vocabulary import CONTEXT_FLAGS

# Keys that name an item in a list of mappings, tried in this order (agreements use `partner`).
_ITEM_KEYS: Final = ("partner", "name", "id", "subscriber", "segment")


def describe(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """Sentences describing how ``new`` differs from ``old`` (``None``: a founding text)."""
    if old is None:
        partners = ", ".join(sorted(new.get("partners") or {})) or "none"
        return [
            f"founds the governance at version {new.get('version')} with partners {partners}",
            *_quorum_lines({}, new),
        ]
    lines: list[str] = []
    if old.get("version") != new.get("version"):
        lines.append(f"version {old.get('version')} becomes {new.get('version')}")
    lines += _partner_lines(old.get("partners") or {}, new.get("partners") or {})
    for key in sorted(set(old) | set(new), key=str):
        if key in {"version", "partners", "quorum"}:
            continue
        lines += _walk(str(key), old.get(key), new.get(key))
    lines += _quorum_lines(old, new)
    return lines or ["no change"]


def _quorum_lines(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    before, after = old.get("quorum") or {}, new.get("quorum") or {}
    if before == after and old:
        return []
    lines = []
    for name, label in (
        ("changes", "changes need"),
        ("emergency_revocation", "an emergency revocation needs"),
        ("proposal_valid_days", "a proposal stays open for (days)"),
    ):
        if name in after and before.get(name) != after.get(name):
            was = f" (was {before[name]})" if name in before else ""
            lines.append(f"quorum: {label} {after[name]}{was}")
    return lines


def _partner_lines(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    lines = []
    for pid in sorted(set(new) - set(old)):
        body = new[pid] or {}
        lines.append(f"onboards partner {pid} (sector {body.get('sector')})")
    for pid in sorted(set(old) - set(new)):
        lines.append(f"offboards partner {pid} (removed from the registry)")
    for pid in sorted(set(old) & set(new)):
        before, after = old[pid] or {}, new[pid] or {}
        if before.get("active", True) and not after.get("active", True):
            lines.append(f"REVOKES partner {pid}: it receives nothing and its submissions stop")
        elif not before.get("active", True) and after.get("active", True):
            lines.append(f"reinstates partner {pid}")
        if _keys(before) != _keys(after):
            added = sorted(_keys(after) - _keys(before))
            lines.append(
                f"partner {pid}: signing keys change"
                + (f" (new key {', '.join(k[:16] for k in added)}...)" if added else "")
            )
        for key in sorted((set(before) | set(after)) - {"active", "signing_keys"}):
            lines += _walk(f"partner {pid}: {key}", before.get(key), after.get(key))
    return lines


def _keys(body: Mapping[str, Any]) -> set[str]:
    return {str(k.get("public_key")) for k in body.get("signing_keys") or [] if isinstance(k, dict)}


def _walk(path: str, old: Any, new: Any) -> list[str]:
    if old == new:
        return []
    if old is None:
        return [f"{path}: added, {_short(new)}"]
    if new is None:
        return [f"{path}: removed (was {_short(old)})"]
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        lines = []
        for key in sorted(set(old) | set(new), key=str):
            lines += _walk(f"{path}.{key}", old.get(key), new.get(key))
        return lines
    if _is_list(old) and _is_list(new):
        return _list_lines(path, old, new)
    return [f"{path}: {_short(old)} becomes {_short(new)}"]


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _item_key(items: Sequence[Any]) -> str | None:
    if not items or not all(isinstance(i, Mapping) for i in items):
        return None
    return next((k for k in _ITEM_KEYS if all(k in i for i in items)), None)


def _list_lines(path: str, old: Sequence[Any], new: Sequence[Any]) -> list[str]:
    key = _item_key([*old, *new])
    if key is not None:
        before = {str(i[key]): i for i in old}
        after = {str(i[key]): i for i in new}
        label = "agreement" if path == "agreements" else path
        lines = [f"new {label} for {name}: {_short(after[name])}" for name in after.keys() - before]
        lines += [f"{label} for {name} ends" for name in before.keys() - after]
        for name in sorted(before.keys() & after.keys()):
            lines += _walk(f"{label} of {name}", before[name], after[name])
        return sorted(lines)
    if all(not isinstance(i, Mapping | list) for i in [*old, *new]):
        lines = [f"{path}: adds {_flag(v)}" for v in new if v not in old]
        lines += [f"{path}: removes {_flag(v)}" for v in old if v not in new]
        return lines
    return [f"{path}: {_short(old)} becomes {_short(new)}"]


def _flag(value: Any) -> str:
    meaning = CONTEXT_FLAGS.get(str(value))
    return f"{value} ({meaning})" if meaning else str(value)


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= limit else text[: limit - 3] + "..."
