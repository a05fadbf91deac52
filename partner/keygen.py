"""``carehub partner keygen``: the partner's extract key pair, pseudonym key, and the shared
secret with its ecosystem file (spec 2.2)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from contract.ids import partner_id_problem
from contract.spec import DEFAULT_ECOSYSTEM_PERSONS
from encoding.keys import SecretError, key_fingerprint
from kernel.signing import load_private, private_pem, public_b64
from partner.ecosystem import Ecosystem, ecosystem_path, read_ecosystem, write_ecosystem
from partner.keyfiles import new_secret_text, read_secret, write_private


@dataclass(frozen=True)
class KeygenResult:
    """What keygen wrote. Only ``public_key_b64`` and ``key_fingerprint`` go to the hub."""

    private_key: Path
    public_key_pem: Path
    public_key_b64: str
    pseudonym_key: Path
    shared_secret: Path | None
    key_fingerprint: str | None
    signing_key: Path
    signing_public_key_b64: str
    ecosystem_file: Path | None = None  # next to the shared secret, handed out with it
    ecosystem: Ecosystem | None = None


def extract_key_paths(out_dir: Path, partner_id: str) -> tuple[Path, Path]:
    """Private and public extract key files of a partner in ``out_dir``."""
    return out_dir / f"{partner_id}.x25519.key", out_dir / f"{partner_id}.x25519.pub.pem"


def pseudonym_key_path(out_dir: Path, partner_id: str) -> Path:
    """The partner-only pseudonym key file in ``out_dir``."""
    return out_dir / f"{partner_id}.pseudonym.key"


def signing_key_paths(out_dir: Path, partner_id: str) -> tuple[Path, Path]:
    """Private and public package-signing key files of a partner in ``out_dir``."""
    return out_dir / f"{partner_id}.ed25519.key", out_dir / f"{partner_id}.ed25519.pub"


def read_signing_key(path: str | Path) -> Ed25519PrivateKey:
    """The partner's package-signing key, after the same 0600 check as every secret file.

    Raises:
        SecretError: missing, readable by others, or not an Ed25519 key (names file and fix).
    """
    p = Path(path)
    pem = read_secret(p, "package signing key")
    try:
        return load_private(pem)
    except ValueError:
        raise SecretError(
            f"package signing key file {p} is not an Ed25519 private key (PEM); create one "
            "with `carehub partner keygen` and register its .ed25519.pub with the hub"
        ) from None


def _signing_key(out: Path, partner_id: str, *, force: bool) -> tuple[Path, str]:
    private_path, public_path = signing_key_paths(out, partner_id)
    if private_path.exists() and not force:
        # Kept across keygen runs: a new signing key must be registered before it is used.
        key = read_signing_key(private_path)
    else:
        key = Ed25519PrivateKey.generate()
        write_private(private_path, private_pem(key), force=force)
    public = public_b64(key.public_key())
    public_path.write_text(public + "\n")
    return private_path, public


def keygen(
    out_dir: str | Path,
    partner_id: str,
    *,
    shared_secret: str | Path | None = None,
    ecosystem_persons: int | None = None,
    force: bool = False,
) -> KeygenResult:
    """Create a partner's keys in ``out_dir``.

    Writes the X25519 private key (PEM PKCS#8, 0600) and public key (PEM), the partner-only
    pseudonym key (0600) unless one exists, the Ed25519 package-signing key (0600, kept unless
    ``force``) with its public key (base64, ``.ed25519.pub``, registered at the hub), and,
    when ``shared_secret`` is a path that does not exist yet, a new shared secret (0600) to
    hand to the other partners out of band. With ``shared_secret``, the ecosystem file next to
    it (``partner.ecosystem``) announces ``ecosystem_persons``: written when missing (with
    :data:`DEFAULT_ECOSYSTEM_PERSONS` when no size is given), refused when it announces another.

    Returns:
        Paths, the raw public key in base64 (for the hub's partner registry) and the shared
        secret's fingerprint when a secret was made or given.
    """
    problem = partner_id_problem(partner_id)
    if problem:
        raise SecretError(f"{problem}; no key was written")
    eco_file = ecosystem_path(shared_secret) if shared_secret is not None else None
    if eco_file is not None and eco_file.exists():
        # Checked before any key is written: a clash with the announced size writes nothing.
        announced = read_ecosystem(eco_file)
        if ecosystem_persons is not None and ecosystem_persons != announced.persons:
            write_ecosystem(eco_file, ecosystem_persons)  # raises, naming the fix
    out = Path(out_dir)
    private_path, public_path = extract_key_paths(out, partner_id)
    private = X25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_private(private_path, pem, force=force)
    public = private.public_key()
    if public_path.exists() and force:
        public_path.unlink()
    public_path.write_bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pseud = pseudonym_key_path(out, partner_id)
    if not pseud.exists():
        # Never replaced by --force: a new pseudonym key would orphan every earlier submission.
        write_private(pseud, new_secret_text())
    secret_path: Path | None = None
    fingerprint: str | None = None
    if shared_secret is not None:
        secret_path = Path(shared_secret)
        if not secret_path.exists():
            write_private(secret_path, new_secret_text())
        fingerprint = key_fingerprint(read_secret(secret_path))
    ecosystem = None
    if eco_file is not None and ecosystem_persons is None and eco_file.exists():
        ecosystem = read_ecosystem(eco_file)
    elif eco_file is not None:
        ecosystem = write_ecosystem(eco_file, ecosystem_persons or DEFAULT_ECOSYSTEM_PERSONS)
    signing_path, signing_public = _signing_key(out, partner_id, force=force)
    return KeygenResult(
        private_key=private_path,
        public_key_pem=public_path,
        public_key_b64=base64.b64encode(raw).decode(),
        pseudonym_key=pseud,
        shared_secret=secret_path,
        key_fingerprint=fingerprint,
        signing_key=signing_path,
        signing_public_key_b64=signing_public,
        ecosystem_file=eco_file,
        ecosystem=ecosystem,
    )
