"""Reading a submission package: completeness, manifest, registry, checksums, Parquet schema.

These are the gates before any row is looked at. Each returns :class:`quality.Finding` objects;
none echoes a value from the package (not even a file name a partner wrote into the manifest,
which is referred to by its position).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Final

import duckdb
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from contract.ids import SUBMISSION_ID
from contract.manifest import (
    DATA_FILES,
    EVENTS_FILE,
    KINDS,
    LISTED_FILES,
    MAX_EVENTS_PACKAGE_ROWS,
    PERSONS_FILE,
    REPORT_FILE,
    SIGNATURE_FIELD,
    file_sha256,
    manifest_signer,
)
from contract.manifest import MANIFEST_FILE as MANIFEST
from contract.spec import (
    EVENT_SCHEMA,
    PERSON_SCHEMA,
    RETIRED_SPEC_VERSIONS,
    RETIRED_SPECS,
    SPEC_VERSION,
    SUPPORTED_SPEC_VERSIONS,
    duckdb_columns,
    shown_widths,
    token_bits_problem,
    token_widths,
)
from kernel.signing import SignatureError
from quality.findings import Finding
from warehouse.governance import Governance, Partner

# Transient names a writer may leave next to a complete package; never read.
IGNORED_FILES: Final = frozenset({"manifest.json.tmp", ".DS_Store"})
SAFE_NAME: Final = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
HEX: Final = re.compile(r"^[0-9a-f]{16,128}$")
SHA256: Final = re.compile(r"^[0-9a-f]{64}$")
# Column names that say "identifier": a smuggled PII column is refused by name as well as
# by content.
PII_COLUMN: Final = re.compile(
    r"(^|_)(first|last|middle|given|family|sur|full|maiden)_?name|^name$|^names?_|"
    r"dob|birth_?date|date_?of_?birth|^ssn|social_?sec|phone|mobile|e_?mail|address|street|"
    r"addr_?line|^mrn|medical_?record|record_?id|patient_?id|member_?id|client_?id|^zip(5|code)?$|"
    r"postal",
    re.IGNORECASE,
)
_INTS: Final = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT"})
# A birth year fits any of these integer types; every other column has exactly its spec type.
_WIDER: Final[dict[str, frozenset[str]]] = {"birth_year": _INTS}
# The DuckDB types each column may have, derived from the contract's Arrow schemas.
EXPECTED_TYPES: Final[dict[str, dict[str, frozenset[str]]]] = {
    file: {c: _WIDER.get(c, frozenset({t})) for c, t in duckdb_columns(schema)}
    for file, schema in ((PERSONS_FILE, PERSON_SCHEMA), (EVENTS_FILE, EVENT_SCHEMA))
}
_SQL: Final = Path(__file__).parent / "sql"
_RESEND = (
    "fix the export and send a new package (a new submission id) with `carehub partner encode`"
)


@cache
def sql(name: str) -> str:
    """The text of ``warehouse/ingest/sql/<name>.sql``."""
    return (_SQL / f"{name}.sql").read_text()


@dataclass
class Package:
    """What the gates learnt about one package folder.

    Attributes:
        path: The package folder.
        partner_id: The folder's partner (``landing/<partner_id>/``).
        submission_id: The folder's name.
        manifest: The parsed manifest, once it parsed.
        manifest_sha256: sha256 of the manifest's bytes: the idempotency key.
        findings: Everything found so far.
        checks_run: Check names evaluated so far (a check without findings passed).
    """

    path: Path
    partner_id: str
    submission_id: str
    manifest: dict[str, Any] | None = None
    manifest_sha256: str | None = None
    findings: list[Finding] = field(default_factory=list)
    checks_run: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(f.blocking for f in self.findings)

    def ran(self, *checks: str) -> None:
        for check in checks:
            if check not in self.checks_run:
                self.checks_run.append(check)

    @property
    def created_at(self) -> datetime | None:
        raw = (self.manifest or {}).get("created_at")
        try:
            return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            return None

    @property
    def kind(self) -> str:
        """``full`` (an export; also when the manifest has no ``kind``) or ``events``."""
        return str((self.manifest or {}).get("kind", "full"))

    def rows(self, file: str) -> int:
        entry = ((self.manifest or {}).get("files") or {}).get(file) or {}
        rows = entry.get("rows")
        return rows if isinstance(rows, int) else 0


def check_files(package: Package) -> None:
    """Folder layout and manifest: complete, no stray or escaping paths, parses, spec known."""
    package.ran("package_complete", "manifest_integrity", "spec_version")
    path = package.path
    if path.is_symlink() or not path.is_dir():
        package.findings.append(
            Finding(
                "package_complete",
                "the package is a symbolic link or not a folder; links may point outside the "
                "landing area and are refused",
                fix="copy the package folder itself into landing/<partner_id>/",
            )
        )
        return
    manifest_path = path / MANIFEST
    for entry in sorted(path.iterdir()):
        if entry.name in IGNORED_FILES or entry.name == MANIFEST:
            if entry.is_symlink():
                package.findings.append(_link_finding(entry.name))
            continue
        if entry.is_symlink():
            package.findings.append(_link_finding(entry.name))
        elif entry.is_dir():
            package.findings.append(
                Finding(
                    "package_complete",
                    "the package holds a sub-folder; a package is a flat folder",
                    file="(a sub-folder)",
                    fix="remove the sub-folder; send only the files written by the partner client",
                    extra={PURGE: UNEXPECTED},
                )
            )
        elif entry.name not in LISTED_FILES:
            package.findings.append(
                Finding(
                    "package_complete",
                    "a file that is not part of spec 1.0 is in the package",
                    file=_shown(entry.name),
                    fix="send only persons.parquet, events.parquet, encoding_report.json and "
                    "manifest.json; never a raw export",
                    extra={PURGE: UNEXPECTED},
                )
            )
    if not manifest_path.is_file():
        package.findings.append(
            Finding(
                "package_complete",
                "manifest.json is missing; the package never completed (the manifest is "
                "written last and is the completeness signal)",
                file=MANIFEST,
                fix="re-send the whole package; the partner client writes manifest.json last",
            )
        )
        return
    raw = manifest_path.read_bytes()
    package.manifest_sha256 = hashlib.sha256(raw).hexdigest()
    manifest = _parse_manifest(package, raw)
    if manifest is None:
        return
    package.manifest = manifest
    version = manifest.get("spec_version")
    if isinstance(version, str) and version in RETIRED_SPEC_VERSIONS:
        # Encodings of a retired spec cannot be compared with the current ones (other subkeys,
        # other normalisation), and side-by-side support would keep their leaking tokens.
        package.findings.append(
            Finding(
                "spec_version",
                f"spec_version {version} is retired: the hub links encoding spec {SPEC_VERSION} "
                f"only ({RETIRED_SPECS[version]})",
                file=MANIFEST,
                column="spec_version",
                fix=_REENCODE,
            )
        )
        return
    if not isinstance(version, str) or version not in SUPPORTED_SPEC_VERSIONS:
        package.findings.append(
            Finding(
                "spec_version",
                "spec_version is missing or not one the hub knows "
                f"(supported: {', '.join(sorted(SUPPORTED_SPEC_VERSIONS))})",
                file=MANIFEST,
                column="spec_version",
                fix="package with a partner client that writes a supported spec version",
            )
        )
        return
    problem = token_bits_problem(manifest.get("token_bits"))
    if problem:
        package.findings.append(
            Finding(
                "spec_version",
                f"{problem}: a spec {SPEC_VERSION} manifest records the width of each truncated "
                "token, from the ecosystem size the steward announced with the shared secret",
                file=MANIFEST,
                column="token_bits",
                fix=_REENCODE,
            )
        )
        return
    _check_manifest_fields(package, manifest)


_REENCODE = (
    f"re-encode the export with a partner client of spec {SPEC_VERSION} and the ecosystem file "
    "the steward announced with the shared secret (`carehub partner encode`, same mapping and "
    "secret; the file sits next to the secret or is given with --ecosystem) and submit the new "
    "package"
)


def check_token_widths(
    con: duckdb.DuckDBPyConnection, package: Package, governance: Governance | None
) -> None:
    """The package's token widths are the ones every submission it will be linked with has.

    Widths follow from the ecosystem size the steward announced with the shared secret: a
    partner that used another size has phone tokens that silently never agree with anyone's.
    The widths to match are those of ``ecosystem_persons`` in config/governance.yaml when the
    steward recorded it there (the way to move every partner to a new size), else those of the
    current submissions of this spec already staged (the first one sets them; the submission
    this package supersedes does not count).
    """
    package.ran("spec_version")
    manifest = package.manifest or {}
    seen = manifest.get("token_bits")
    if not isinstance(seen, dict):
        return  # refused by check_files already
    announced = governance.ecosystem_persons if governance else None
    if announced is not None:
        expected, source = (
            token_widths(announced),
            f"the ecosystem size in config/governance.yaml ({announced:,} persons)",
        )
    else:
        rows = con.execute(
            sql("token_widths"),
            {"spec_version": SPEC_VERSION, "supersedes": manifest.get("supersedes")},
        ).fetchall()
        for partner_id, submission_id, text in rows:
            other = json.loads(text) if text else None
            if other != seen:
                expected = other if isinstance(other, dict) else {}
                source = f"{partner_id}'s current submission {submission_id}"
                break
        else:
            return
    if seen == expected:
        return
    package.findings.append(
        Finding(
            "spec_version",
            f"partner {package.partner_id}, package {package.submission_id}: its tokens were "
            f"encoded at {shown_widths(seen)}, but {source} has {shown_widths(expected)}; "
            "tokens of two widths agree only by chance, so its phones would match no one. "
            "Every partner must encode with the ecosystem size the steward announced",
            file=MANIFEST,
            column="token_bits",
            fix=f"{_REENCODE}. A steward moving every partner to a new size records it as "
            "ecosystem_persons in config/governance.yaml first",
        )
    )


# Key of Finding.extra saying the package's data must be deleted on arrival, and why: whatever
# the hub did not ask for (a file, a column) may hold raw identifiers, and so may a value the
# detector flags. The quarantine keeps the manifest (sanitised) and the reasons only.
PURGE: Final = "purge"
UNEXPECTED: Final = "it was not asked for (not part of spec 1.0) and may hold raw identifiers"


def _shown(name: str) -> str:
    """How a name the partner chose is shown: a file or column name can itself be an
    identifier ("SMITH_JOHN.csv"), so only its kind is named, never the name."""
    suffix = Path(name).suffix.lower()
    if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix):
        return f"(an unexpected {suffix} file)"
    return "(an unexpected file)"


def _shown_column(name: str, position: int) -> str:
    """An unexpected column: its name is shown only when it is an identifier *label* the hub
    knows (``first_name``, ``ssn``...), which tells the steward what was smuggled; any other
    name may itself be a value, so it is shown by position."""
    if len(name) <= 40 and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) and PII_COLUMN.search(name):
        return name
    return f"(unexpected column #{position})"


def _link_finding(name: str) -> Finding:
    return Finding(
        "package_complete",
        "a symbolic link is in the package; links may point outside the package and are refused",
        file=_shown(name),
        fix="send regular files only",
        extra={PURGE: UNEXPECTED},
    )


def _parse_manifest(package: Package, raw: bytes) -> dict[str, Any] | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        package.findings.append(
            Finding(
                "manifest_integrity",
                f"manifest.json is not valid UTF-8 (first bad byte at offset {exc.start})",
                file=MANIFEST,
                fix="write the manifest as UTF-8 JSON (the partner client does)",
            )
        )
        return None
    if not text.strip():
        package.findings.append(
            Finding(
                "manifest_integrity",
                "manifest.json is empty",
                file=MANIFEST,
                fix="re-send the package; the manifest must list every file with its sha256",
            )
        )
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        package.findings.append(
            Finding(
                "manifest_integrity",
                f"manifest.json is not valid JSON (line {exc.lineno}, column {exc.colno})",
                file=MANIFEST,
                fix="re-send the package written by the partner client",
            )
        )
        return None
    if not isinstance(data, dict):
        package.findings.append(
            Finding(
                "manifest_integrity",
                "manifest.json is not a JSON object",
                file=MANIFEST,
                fix="re-send the package written by the partner client",
            )
        )
        return None
    return data


def _field_problem(package: Package, key: str, message: str, fix: str) -> None:
    package.findings.append(
        Finding("manifest_integrity", message, file=MANIFEST, column=key, fix=fix)
    )


def _check_manifest_fields(package: Package, manifest: dict[str, Any]) -> None:
    fix = "re-send the package written by the partner client"
    if manifest.get("submission_id") != package.submission_id:
        _field_problem(
            package,
            "submission_id",
            "submission_id does not equal the package folder's name",
            "name the folder landing/<partner_id>/<submission_id>/ exactly as in the manifest",
        )
    if manifest.get("partner_id") != package.partner_id:
        _field_problem(
            package,
            "partner_id",
            "partner_id does not equal the landing folder the package was dropped in",
            "drop packages in landing/<partner_id>/ of the partner named in the manifest",
        )
    if package.created_at is None:
        _field_problem(
            package, "created_at", "created_at is missing or not an ISO 8601 UTC time", fix
        )
    if not isinstance(manifest.get("key_fingerprint"), str):
        _field_problem(package, "key_fingerprint", "key_fingerprint is missing", fix)
    supersedes = manifest.get("supersedes")
    if supersedes is not None and not (
        isinstance(supersedes, str) and SUBMISSION_ID.match(supersedes)
    ):
        _field_problem(
            package,
            "supersedes",
            "supersedes is neither null nor a submission id",
            "name the submission id this package replaces, or null",
        )
    files = manifest.get("files")
    if not isinstance(files, dict):
        _field_problem(package, "files", "files is missing or not an object", fix)
        return
    _check_kind(package, manifest, files)
    for position, (name, entry) in enumerate(files.items(), start=1):
        if name not in LISTED_FILES:
            escaping = (
                "/" in name or "\\" in name or ".." in name or "\x00" in name or name[:1] in "~."
            )
            package.findings.append(
                Finding(
                    "package_complete",
                    (
                        f"files entry #{position} is a path that leaves the package "
                        "(path traversal); refused"
                        if escaping
                        else f"files entry #{position} is not a file of spec 1.0"
                    ),
                    file=MANIFEST,
                    column="files",
                    fix="list only persons.parquet, events.parquet and encoding_report.json, "
                    "as plain names",
                )
            )
            continue
        if not isinstance(entry, dict) or not SHA256.match(str(entry.get("sha256", ""))):
            _field_problem(
                package, "files", f"files.{name} has no valid sha256 (64 lower-hex)", fix
            )
        elif name in DATA_FILES and not isinstance(entry.get("rows"), int):
            _field_problem(package, "files", f"files.{name} has no integer row count", fix)
    for name in LISTED_FILES:
        if name not in files:
            _field_problem(package, "files", f"{name} is not listed in the manifest", fix)
        elif not (package.path / name).is_file():
            package.findings.append(
                Finding(
                    "package_complete",
                    "the manifest lists this file but it is not in the package",
                    file=name,
                    fix="re-send the whole package (the manifest must be written last)",
                )
            )


def _check_kind(package: Package, manifest: dict[str, Any], files: dict[str, Any]) -> None:
    """An events package (real-time alerts) is small and never replaces a submission."""
    kind = manifest.get("kind", "full")
    if kind not in KINDS:
        _field_problem(
            package,
            "kind",
            "kind is neither full nor events",
            "leave kind out for a full export, or write events for a package of new events "
            "(`carehub partner encode --events`)",
        )
        return
    if kind != "events":
        return
    if manifest.get("supersedes") is not None:
        _field_problem(
            package,
            "supersedes",
            "an events package cannot supersede a submission (it would replace a whole export "
            "with a few events)",
            "send the events without --supersedes; a corrected event keeps its event id",
        )
    rows = (files.get(EVENTS_FILE) or {}).get("rows") if isinstance(files, dict) else None
    if isinstance(rows, int) and not 1 <= rows <= MAX_EVENTS_PACKAGE_ROWS:
        _field_problem(
            package,
            "kind",
            f"an events package holds 1 to {MAX_EVENTS_PACKAGE_ROWS} events; this one lists {rows}",
            "send a larger batch as a full export, or split it into several events packages",
        )


def check_partner(package: Package, governance: Governance | None, day: date) -> None:
    """The partner is registered and active; the manifest is signed by one of its keys valid
    on ``day``; the key fingerprint is the registered one."""
    package.ran("partner_and_key")
    partner = governance.partner(package.partner_id) if governance else None
    if partner is None:
        package.findings.append(
            Finding(
                "partner_and_key",
                "the partner is not registered in config/governance.yaml",
                fix="a steward registers the partner (partners: in config/governance.yaml) "
                "before its first submission; a package from an unknown sender is not read",
            )
        )
        return
    if not partner.active:
        package.findings.append(
            Finding(
                "partner_and_key",
                "the partner is registered but inactive; its submissions are refused",
                fix="a steward sets active: true in config/governance.yaml to resume",
            )
        )
    _check_signature(package, partner, day)
    if package.blocked:
        return
    fingerprint = (package.manifest or {}).get("key_fingerprint")
    if isinstance(fingerprint, str) and not partner.accepts_fingerprint(fingerprint):
        package.findings.append(
            Finding(
                "partner_and_key",
                "the key fingerprint is not the one registered for this partner: the package "
                "was encoded under a wrong or stale shared secret, and would silently match "
                "no one",
                file=MANIFEST,
                column="key_fingerprint",
                fix="re-encode with the current shared secret and send a new package; compare "
                "the fingerprint `carehub partner keygen --secret FILE` prints with the one "
                "the steward registered",
            )
        )


def _check_signature(package: Package, partner: Partner, day: date) -> None:
    """The manifest verifies against a signing key of the landing folder's partner.

    The folder names the partner; only that partner's keys are tried, so a genuine package of
    one partner dropped (or relabelled) into another's folder is refused, and a manifest edited
    after signing (partner, files, checksums) no longer verifies.
    """
    manifest = package.manifest or {}
    if not partner.signing_keys:
        package.findings.append(
            Finding(
                "partner_and_key",
                "no package-signing key is registered for this partner, so no package of it "
                "can be trusted",
                file=MANIFEST,
                column=SIGNATURE_FIELD,
                fix="the partner runs `carehub partner keygen` and a steward registers the "
                "printed signing public key (`carehub hub register-partner --signing-key`)",
            )
        )
        return
    if SIGNATURE_FIELD not in manifest:
        package.findings.append(
            Finding(
                "partner_and_key",
                "the manifest is not signed; the hub accepts only packages signed by their partner",
                file=MANIFEST,
                column=SIGNATURE_FIELD,
                fix="package with `carehub partner encode` (it signs with the key "
                "`carehub partner keygen` made), and send the new package",
            )
        )
        return
    keys = partner.signing_keys_on(day)
    try:
        manifest_signer(manifest, keys)
    except SignatureError:
        expired = not keys or _verifies(manifest, partner.all_signing_keys())
        package.findings.append(
            Finding(
                "partner_and_key",
                (
                    "the manifest is signed by a key of this partner that is not valid today "
                    "(retired or not yet active)"
                    if expired
                    else "the manifest's signature does not verify against this partner's "
                    "registered signing keys: the package was made by another partner, or "
                    "changed after it was signed"
                ),
                file=MANIFEST,
                column=SIGNATURE_FIELD,
                fix=(
                    "sign with the partner's current key, or a steward registers the new key "
                    "(`carehub hub register-partner --signing-key FILE --rotate`)"
                    if expired
                    else "send only packages your own `carehub partner encode` wrote, into "
                    "your own landing folder; never edit a package after it was written"
                ),
            )
        )


def _verifies(manifest: dict[str, Any], keys: list[Ed25519PublicKey]) -> bool:
    try:
        manifest_signer(manifest, keys)
    except SignatureError:
        return False
    return True


def check_checksums(package: Package) -> None:
    """Every listed file is non-empty and has the sha256 the manifest says."""
    package.ran("manifest_integrity")
    files = (package.manifest or {}).get("files") or {}
    for name in LISTED_FILES:
        entry = files.get(name)
        path = package.path / name
        if not isinstance(entry, dict) or not path.is_file():
            continue
        if path.stat().st_size == 0:
            package.findings.append(
                Finding(
                    "manifest_integrity",
                    "the file is empty (0 bytes)",
                    file=name,
                    fix=f"the export produced nothing: {_RESEND}",
                )
            )
            continue
        if file_sha256(path) != entry.get("sha256"):
            package.findings.append(
                Finding(
                    "manifest_integrity",
                    "the file's sha256 does not match the manifest: it was changed, cut off "
                    "or corrupted after packaging",
                    file=name,
                    fix="re-send the package unchanged (binary transfer), or re-package",
                )
            )
    report = package.path / REPORT_FILE
    if report.is_file() and report.stat().st_size and not package.blocked:
        _check_report(package, report)


def _check_report(package: Package, path: Path) -> None:
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if not isinstance(data, dict):
        package.findings.append(
            Finding(
                "manifest_integrity",
                "encoding_report.json is not a UTF-8 JSON object",
                file=REPORT_FILE,
                fix=_RESEND,
            )
        )


def check_parquet(con: duckdb.DuckDBPyConnection, package: Package) -> None:
    """Each data file is readable Parquet with the manifest's row count and spec 1.0's schema."""
    package.ran("manifest_integrity", "schema_and_types")
    files = (package.manifest or {}).get("files") or {}
    for name in DATA_FILES:
        path = package.path / name
        try:
            described = con.execute(sql("describe_parquet"), {"path": str(path)}).fetchall()
            rows = con.execute(sql("count_parquet"), {"path": str(path)}).fetchone()
        except duckdb.Error:
            package.findings.append(
                Finding(
                    "manifest_integrity",
                    "is not a readable Parquet file (truncated or corrupt)",
                    file=name,
                    fix=f"the file was cut off or is not Parquet: {_RESEND}",
                )
            )
            continue
        count = int(rows[0]) if rows else 0
        expected_rows = (files.get(name) or {}).get("rows")
        if count != expected_rows:
            package.findings.append(
                Finding(
                    "manifest_integrity",
                    f"has {count} rows but the manifest says {expected_rows}",
                    file=name,
                    count=count,
                    fix="re-package: the manifest must be written from the files it lists",
                )
            )
        if name == PERSONS_FILE and count == 0:
            package.findings.append(
                Finding(
                    "manifest_integrity",
                    "has no rows; a submission needs at least one person",
                    file=name,
                    fix=f"check the export's filter: {_RESEND}",
                )
            )
        _check_schema(package, name, {str(r[0]): str(r[1]) for r in described})
        declared = (files.get(name) or {}).get("schema")
        if isinstance(declared, dict) and set(declared) != {str(r[0]) for r in described}:
            package.findings.append(
                Finding(
                    "manifest_integrity",
                    "the manifest's schema does not list the file's columns",
                    file=name,
                    fix="re-package: the manifest must be written from the files it lists",
                )
            )


def _check_schema(package: Package, file: str, actual: dict[str, str]) -> None:
    expected = EXPECTED_TYPES[file]
    for position, column in enumerate(actual, start=1):
        if column in expected:
            continue
        looks_pii = bool(PII_COLUMN.search(column))
        package.findings.append(
            Finding(
                "schema_and_types",
                (
                    "an identifier column was smuggled in: its name says it holds a raw "
                    "identifier, which must never leave the partner"
                    if looks_pii
                    else "unexpected column (not in spec 1.0)"
                ),
                file=file,
                column=_shown_column(column, position),
                fix=(
                    "remove the column from the mapping; identifiers go in only through "
                    "`carehub partner encode`, as encodings"
                    if looks_pii
                    else "remove the column or rename it to its spec 1.0 name"
                ),
                extra={
                    PURGE: "its name says it holds raw identifiers" if looks_pii else UNEXPECTED
                },
            )
        )
    for column, allowed in expected.items():
        if column not in actual:
            package.findings.append(
                Finding(
                    "schema_and_types",
                    "required column is missing (wrong column names?)",
                    file=file,
                    column=column,
                    fix="write every column of spec 1.0 under its spec name "
                    "(docs/submission-format.md)",
                )
            )
        elif actual[column] not in allowed:
            package.findings.append(
                Finding(
                    "schema_and_types",
                    f"has type {actual[column][:40]}, expected {' or '.join(sorted(allowed))}",
                    file=file,
                    column=column,
                    fix="convert the column to its spec type before packaging",
                )
            )


def stage_tables(con: duckdb.DuckDBPyConnection, package: Package) -> None:
    """Load both data files into the temp tables ``ingest_persons`` / ``ingest_events``.

    A text column holding bytes that are not UTF-8 makes DuckDB refuse the file; the column is
    then found by probing each text column, and reported without its value (DuckDB's own
    message quotes the value, so it is never passed on).
    """
    package.ran("schema_and_types")
    for name, statement in ((PERSONS_FILE, "stage_persons"), (EVENTS_FILE, "stage_events")):
        path = str(package.path / name)
        try:
            con.execute(sql(statement), {"path": path})
        except duckdb.Error:
            bad = _non_utf8_columns(con, path, name)
            package.findings.append(
                Finding(
                    "schema_and_types",
                    "holds bytes that are not valid UTF-8 text"
                    if bad
                    else "could not be read into the hub",
                    file=name,
                    column=", ".join(bad) or None,
                    fix="export text as UTF-8 (check the source system's character set), "
                    "then re-encode and re-package",
                    extra={PURGE: "its text could not be read, so not checked for identifiers"},
                )
            )


def _non_utf8_columns(con: duckdb.DuckDBPyConnection, path: str, file: str) -> list[str]:
    bad = []
    for column, allowed in EXPECTED_TYPES[file].items():
        if "VARCHAR" not in allowed:
            continue
        try:
            con.execute(sql("utf8_probe"), {"path": path, "cols": [column]}).fetchall()
        except duckdb.Error:
            bad.append(column)
    return bad
