"""Encryption at rest: which key (if any) a store's event state is encrypted with.

Event state is encrypted by the eventsourcing library's AES-GCM cipher
(``eventsourcing.cryptography.AESCipher``) when ``FANGPIN_CIPHER_KEY`` is set. A store records
once, beside the log, whether it is encrypted and the fingerprint of its key (a hash that does
not reveal the key); every application opening it checks its own key against that record before
it reads or writes anything, so a wrong or missing key is a clear error at the door, never a
half-read history or a log mixing two keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from eventsourcing.cryptography import AESCipher

from application.store.beside import beside_log, placeholder
from application.store.ddl import schema_lock
from domain.errors import DomainError

NOT_ENCRYPTED = "none"
TABLE = "fangpin_store"
KEY_SIZES = (16, 24, 32)


class CipherKeyProblem(DomainError):
    """The key given does not open this store (or none was given for an encrypted one)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, "FANGPIN_CIPHER_KEY")


def new_key(size: int = 32) -> str:
    """A new random AES key, base64 as ``FANGPIN_CIPHER_KEY`` expects it."""
    return AESCipher.create_key(size)


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot be an AES key (None when it can)."""
    try:
        raw = base64.b64decode(key.encode(), validate=True)
    except (binascii.Error, ValueError):
        return "FANGPIN_CIPHER_KEY 须为 base64 文本（用 `fangpin log keygen` 生成）"
    if len(raw) not in KEY_SIZES:
        return f"FANGPIN_CIPHER_KEY 须为 16、24 或 32 字节的密钥，现为 {len(raw)} 字节"
    return None


def fingerprint(key: str | None) -> str:
    """What the store records about its key: ``none``, or ``aes-gcm:`` and 16 hex digits of a
    salted SHA-256 of the key."""
    if not key:
        return NOT_ENCRYPTED
    raw = base64.b64decode(key.encode())
    return "aes-gcm:" + hashlib.sha256(b"fangpin-cipher-key\x00" + raw).hexdigest()[:16]


def _table(datastore: Any, backend: str) -> tuple[str, str]:
    table = beside_log(datastore, backend, TABLE)
    with schema_lock(datastore, backend), datastore.transaction(commit=True) as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    return table, placeholder(backend)


def recorded_encryption(datastore: Any, backend: str) -> str:
    """What the store records about its encryption (``none`` before anything was recorded)."""
    table, p = _table(datastore, backend)
    with datastore.transaction(commit=True) as cursor:
        cursor.execute(f"SELECT value FROM {table} WHERE name = {p}", ("encryption",))
        row = cursor.fetchone()
    if row is None:
        return NOT_ENCRYPTED
    return row["value"] if isinstance(row, dict) else row[0]


def store_secret(datastore: Any, backend: str, name: str) -> str:
    """A random secret kept in the store (made on first use), shared by every process serving it
    (e.g. what signs the web forms' CSRF tokens)."""
    import secrets

    table, p = _table(datastore, backend)
    with datastore.transaction(commit=True) as cursor:
        cursor.execute(f"INSERT INTO {table} (name, value) VALUES ({p}, {p}) "
                       "ON CONFLICT (name) DO NOTHING", (name, secrets.token_hex(32)))
        cursor.execute(f"SELECT value FROM {table} WHERE name = {p}", (name,))
        row = cursor.fetchone()
    return row["value"] if isinstance(row, dict) else row[0]


def check_store_key(datastore: Any, backend: str, key: str | None, *, log_is_empty: bool) -> None:
    """Record this store's encryption on first use; afterwards refuse a key that does not fit."""
    table, p = _table(datastore, backend)
    given = fingerprint(key)
    with datastore.transaction(commit=True) as cursor:
        cursor.execute(f"SELECT value FROM {table} WHERE name = {p}", ("encryption",))
        row = cursor.fetchone()
        if row is None:
            # A log written before this record existed was never encrypted.
            recorded = given if log_is_empty else NOT_ENCRYPTED
            cursor.execute(f"INSERT INTO {table} (name, value) VALUES ({p}, {p}) "
                           "ON CONFLICT (name) DO NOTHING", ("encryption", recorded))
            cursor.execute(f"SELECT value FROM {table} WHERE name = {p}", ("encryption",))
            row = cursor.fetchone()
        recorded = row["value"] if isinstance(row, dict) else row[0]
        if recorded != given and log_is_empty:
            # Nothing is stored yet: the key of the first process to write decides, and a
            # refused attempt (an import without its key, say) does not lock the store.
            cursor.execute(f"UPDATE {table} SET value = {p} WHERE name = {p}", (given, "encryption"))
            recorded = given
    if recorded == given:
        return
    if recorded == NOT_ENCRYPTED:
        raise CipherKeyProblem(
            "LOG_NOT_ENCRYPTED",
            "事件日志未加密，却设置了 FANGPIN_CIPHER_KEY：去掉该设置（已有事件的库不能改为加密："
            "加密须在写入第一条事件之前设置）")
    if given == NOT_ENCRYPTED:
        raise CipherKeyProblem(
            "CIPHER_KEY_MISSING",
            f"事件日志已加密（密钥指纹 {recorded}），须设置 FANGPIN_CIPHER_KEY 才能读写")
    raise CipherKeyProblem(
        "CIPHER_KEY_WRONG",
        f"FANGPIN_CIPHER_KEY 与事件日志的密钥不符（日志密钥指纹 {recorded}，所给密钥指纹 {given}）")
