"""Checkpoints: signed summaries of the log as it stood at a position, the keys that sign them,
and their files.

The log is cut into segments of `SEGMENT_SIZE` positions; a checkpoint holds every segment's
digest, their hash, the event count and an Ed25519 signature. Checkpoints are kept in a table
beside the log (`application.audit.tables`) and written to files to be kept elsewhere.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from application.settings import Settings
from domain.errors import DomainError

SEGMENT_SIZE = 1000
CHECKPOINT_FORMAT = "fangpin-checkpoint/1"


class AuditError(DomainError):
    """An audit command cannot run (no key, a damaged checkpoint file…); the message is Chinese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


class Checkpoint(msgspec.Struct, frozen=True, kw_only=True):
    """A signed summary of the log up to ``position`` (see the module docstring)."""

    format: str = CHECKPOINT_FORMAT
    sequence: int
    position: int
    events: int
    created_at: str
    segment_size: int
    segments: list[str]
    log_hash: str
    public_key: str
    signature: str = ""

    def signed_bytes(self) -> bytes:
        """What the signature covers: every field but the signature, in a fixed order."""
        return msgspec.json.encode(msgspec.structs.replace(self, signature=""))

    def to_json(self) -> bytes:
        return msgspec.json.format(msgspec.json.encode(self), indent=1)

    @classmethod
    def from_json(cls, data: str | bytes) -> Checkpoint:
        try:
            checkpoint = msgspec.json.decode(data, type=cls)
        except msgspec.ValidationError as error:
            raise AuditError("CHECKPOINT_UNREADABLE", f"检查点文件格式不对：{error}") from None
        except msgspec.DecodeError:
            raise AuditError("CHECKPOINT_UNREADABLE", "检查点文件不是 JSON") from None
        if checkpoint.format != CHECKPOINT_FORMAT:
            raise AuditError("CHECKPOINT_UNREADABLE", f"不认识的检查点格式 {checkpoint.format}")
        return checkpoint

    def signature_problem(self, trusted: Ed25519PublicKey | None) -> str | None:
        """Why the signature is not to be trusted (None when it is)."""
        try:
            key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(self.public_key))
            key.verify(bytes.fromhex(self.signature), self.signed_bytes())
        except (ValueError, InvalidSignature):
            return "签名无效（检查点内容在签名后被改动，或签名是伪造的）"
        if trusted is not None and public_hex(trusted) != self.public_key:
            return "签名所用的公钥不是本县的审计公钥"
        if self.log_hash != log_hash(self.segments):
            return "段摘要与总摘要不符"
        return None


def public_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def log_hash(segments: list[str]) -> str:
    return hashlib.sha256(b"".join(bytes.fromhex(s) for s in segments)).hexdigest()


def generate_signing_key(path: Path) -> str:
    """Write a new Ed25519 private key (PEM, readable by the owner only); its public key in hex."""
    if path.exists():
        raise AuditError("KEY_EXISTS", f"{path} 已存在，不覆盖")
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return public_hex(key.public_key())


def load_signing_key(path: Path | None) -> Ed25519PrivateKey:
    if path is None or not path.exists():
        raise AuditError("SIGNING_KEY_MISSING",
                         f"未找到签名私钥{f' {path}' if path else ''}：用 `fangpin audit keygen` 生成，"
                         "并以 FANGPIN_SIGNING_KEY 指向它")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as error:
        raise AuditError("SIGNING_KEY_UNREADABLE", f"{path} 无法读取：{error.strerror}") from None
    except (ValueError, TypeError):
        raise AuditError("SIGNING_KEY_UNREADABLE", f"{path} 不是 PEM 格式的私钥") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditError("SIGNING_KEY_UNREADABLE", f"{path} 不是 Ed25519 私钥")
    return key


def load_public_key(text: str) -> Ed25519PublicKey:
    """A public key given as 64 hex digits, or a path to a PEM public (or private) key."""
    try:
        if len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text):
            return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
        data = Path(text).read_bytes()
        if b"PRIVATE KEY" in data:
            private = serialization.load_pem_private_key(data, password=None)
            assert isinstance(private, Ed25519PrivateKey)
            return private.public_key()
        public = serialization.load_pem_public_key(data)
        assert isinstance(public, Ed25519PublicKey)
        return public
    except (OSError, ValueError, AssertionError):
        raise AuditError("PUBLIC_KEY_UNREADABLE",
                         f"审计公钥 {text} 无法读取（应为 64 位十六进制或 Ed25519 PEM 文件）") from None


def trusted_public_key(settings: Settings) -> Ed25519PublicKey | None:
    """The key checkpoints must carry: ``FANGPIN_AUDIT_PUBLIC_KEY``, else the signing key's."""
    if settings.audit_public_key:
        return load_public_key(settings.audit_public_key)
    if settings.signing_key_path.is_file():
        return load_signing_key(settings.signing_key_path).public_key()
    return None


def checkpoint_file(checkpoint: Checkpoint, directory: Path) -> Path:
    return directory / f"checkpoint-{checkpoint.sequence:06d}-{checkpoint.position}.json"


def write_checkpoint_file(checkpoint: Checkpoint, directory: Path) -> Path:
    path = checkpoint_file(checkpoint, directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path.write_bytes(checkpoint.to_json())
    except OSError as error:
        raise AuditError("CHECKPOINT_DIR_UNWRITABLE",
                         f"检查点文件无法写入 {directory}（{error.strerror}），未签发") from None
    return path
