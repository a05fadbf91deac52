"""Secret files on the partner's machine: written 0600, refused when others can read them.

A secret file holds base64 text of at least 32 random bytes (``carehub partner keygen`` writes
such files). A file whose stripped content is not base64 is used as raw bytes, which must then
also be at least 32 bytes long.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import stat
from pathlib import Path

from encoding.keys import MIN_SECRET_BYTES, SecretError

_B64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
SECRET_BYTES = 32


def read_secret(path: str | Path, what: str = "shared secret") -> bytes:
    """Read a secret file after checking that only its owner can read it.

    Raises:
        SecretError: missing, not a regular file, readable by group/others, or too short. The
            message names the file and the fix, never the content.
    """
    p = Path(path)
    if not p.exists():
        raise SecretError(
            f"{what} file {p} does not exist; generate one with `carehub partner keygen` "
            "or copy the one your partners agreed on"
        )
    if not p.is_file():
        raise SecretError(f"{what} file {p} is not a regular file")
    mode = stat.S_IMODE(p.stat().st_mode)
    if mode & 0o077:
        raise SecretError(
            f"{what} file {p} is readable by others (mode {mode:04o}); refusing to use it. "
            f"Run `chmod 600 {p}`, and rotate the secret if others may have read it"
        )
    data = p.read_bytes().strip()
    text = data.decode("ascii", errors="replace")
    if _B64.match(text) and len(text) % 4 == 0:
        try:
            decoded = base64.b64decode(text, validate=True)
        except binascii.Error:
            decoded = b""
        if len(decoded) >= MIN_SECRET_BYTES:
            return decoded
    if len(data) < MIN_SECRET_BYTES:
        raise SecretError(
            f"{what} file {p} holds fewer than {MIN_SECRET_BYTES} bytes; generate a strong one "
            "with `carehub partner keygen`"
        )
    return data


def write_private(path: str | Path, data: bytes, *, force: bool = False) -> Path:
    """Create a file readable by its owner only (0600); refuse to overwrite unless ``force``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.exists():
        if not force:
            raise FileExistsError(f"{p} exists; pass --force to replace it (old keys stop working)")
        p.unlink()
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(p, 0o600)
    return p


def new_secret_text() -> bytes:
    """Base64 text of 32 fresh random bytes, newline-terminated."""
    return base64.b64encode(secrets.token_bytes(SECRET_BYTES)) + b"\n"
