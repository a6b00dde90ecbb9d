"""The office's signing key: an Ed25519 key pair in two PEM files.

The private key stays on the office computer (mode 0600); the public part goes to each kiosk.
Keys are securesystemslib keys, so the same files serve TUF metadata signing and checking.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from securesystemslib.signer import CryptoSigner, SSlibKey

KEY_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class KeyFileError(ValueError):
    """A key file that cannot be used, with the reason."""


def generate_key(directory: Path, name: str = "buero") -> tuple[Path, Path]:
    """Write DIR/NAME.key (private, 0600) and DIR/NAME.pub; never overwrite an existing key."""
    if not KEY_NAME_PATTERN.fullmatch(name):
        raise KeyFileError(f'"{name}" is not a usable key name (letters, digits, "-", "_", ".")')
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / f"{name}.key", directory / f"{name}.pub"
    for path in (private_path, public_path):
        if path.exists():
            raise KeyFileError(f"{path} already exists; a key is never overwritten")
    private_key = Ed25519PrivateKey.generate()
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # O_EXCL with mode 0600: the private key is never readable by others, not even briefly.
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_pem)
        handle.flush()
        os.fsync(handle.fileno())
    public_path.write_bytes(public_pem)
    return private_path, public_path


def load_signer(private_path: Path) -> CryptoSigner:
    """A signer for the private key file, or KeyFileError saying what is wrong with it."""
    try:
        data = private_path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read the key file {private_path}: {exc.strerror}") from None
    try:
        private_key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        hint = " (that is the public part; use the .key file)" if b"PUBLIC" in data else ""
        raise KeyFileError(f"{private_path} is not a private key{hint}") from None
    if not isinstance(private_key, Ed25519PrivateKey):
        raise KeyFileError(f"{private_path} is not an Ed25519 key made by `kiosk keygen`")
    public = SSlibKey.from_crypto(private_key.public_key())
    return CryptoSigner(private_key, public)


def load_public_key(public_path: Path) -> SSlibKey:
    """The public key in a .pub file, or KeyFileError saying what is wrong with it."""
    try:
        data = public_path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read the key file {public_path}: {exc.strerror}") from None
    if b"PRIVATE KEY" in data:
        raise KeyFileError(
            f"{public_path} is a private key. Never copy it to a kiosk; use the .pub file."
        )
    try:
        public_key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise KeyFileError(f"{public_path} is not a public key made by `kiosk keygen`") from None
    if not isinstance(public_key, Ed25519PublicKey):
        raise KeyFileError(f"{public_path} is not an Ed25519 key made by `kiosk keygen`")
    return SSlibKey.from_crypto(public_key)


def short_keyid(keyid: str) -> str:
    """The first 16 hex digits of a key id: enough for staff to compare by eye."""
    return keyid[:16]
