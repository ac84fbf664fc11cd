"""The event log's safety commands:

    fangpin log keygen [--quiet]                    a key for FANGPIN_CIPHER_KEY (encryption at rest)
    fangpin log export FILE                         the whole log, compressed
    fangpin log import FILE                         into an empty store, verified, person index and
                                                    read models rebuilt

Copying the log reads its raw tables, so it needs no encryption key; importing checks the
target's key against the file's.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from application.app import CaseFiles
from application.audit import AuditError, load_signing_key, open_log_tables, trusted_public_key
from application.settings import Settings
from interfaces.cli.progress import add_quiet, progress_bar
from projections.runner import Projections


def add_log(commands: Any) -> None:
    log = commands.add_parser("log", help="back up, restore or move the event log; encryption key")
    log_commands = log.add_subparsers(title="log")
    cipher = log_commands.add_parser("keygen", help="a new AES key for FANGPIN_CIPHER_KEY")
    cipher.add_argument("--quiet", action="store_true", help="print the key only")
    cipher.set_defaults(run=_cipher_keygen, without_app=True)
    export = log_commands.add_parser("export", help="stream the whole log to a compressed file")
    export.add_argument("file", type=Path)
    add_quiet(export)
    export.set_defaults(run=_export, without_app=True)
    restore = log_commands.add_parser(
        "import", help="load an export into an empty store, verifying it; rebuild the read models")
    restore.add_argument("file", type=Path)
    add_quiet(restore)
    restore.set_defaults(run=_import, without_app=True)


def _cipher_keygen(settings: Settings, args: argparse.Namespace) -> int:
    from application.store.encryption import new_key

    key = new_key()
    if args.quiet:
        print(key)
        return 0
    print(key)
    print("以 FANGPIN_CIPHER_KEY 设置它：新库的事件内容即加密保存。"
          "请另行妥善保管——丢失密钥，日志就无法读取。",
          file=sys.stderr)
    return 0


def _export(settings: Settings, args: argparse.Namespace) -> int:
    from application.backup import export_log
    from application.store.encryption import recorded_encryption

    try:
        key = (load_signing_key(settings.signing_key_path)
               if settings.signing_key_path.is_file() else None)
        with open_log_tables(settings) as tables, progress_bar(args, "导出事件日志") as tick:
            encryption = recorded_encryption(tables.datastore, tables.backend)
            summary = export_log(tables, args.file, encryption=encryption,
                                 source=settings.describe(), now=datetime.now(UTC),
                                 progress=tick, signing_key=key)
    except OSError as error:
        print(f"错误：无法写入 {args.file}：{error}", file=sys.stderr)
        return 1
    size = args.file.stat().st_size
    print(f"已导出 {summary.events} 条事件（到位置 {summary.position}）、{summary.checkpoints} 个检查点、"
          f"{summary.users} 个用户、{summary.access_records} 条查阅记录、{summary.attachments} 个附件"
          f"到 {args.file}"
          f"（{size / 1e6:.1f} MB）")
    return 0


def _import(settings: Settings, args: argparse.Namespace) -> int:
    from application.backup import import_log
    from application.store.encryption import fingerprint

    if not args.file.exists():
        print(f"错误：{args.file} 不存在", file=sys.stderr)
        return 2
    try:
        trusted = trusted_public_key(settings)
        with CaseFiles(settings) as app:  # checks (and, for a new store, records) the key
            with progress_bar(args, "导入事件日志") as tick:
                summary = import_log(app.log_tables(), args.file,
                                     encryption=fingerprint(settings.cipher_key),
                                     progress=tick, trusted_key=trusted)
            print(f"已导入 {summary.events} 条事件（到位置 {summary.position}）、"
                  f"{summary.checkpoints} 个检查点、{summary.users} 个用户、"
                  f"{summary.access_records} 条查阅记录、{summary.attachments} 个附件；"
                  "哈希链、检查点与附件摘要核验无误")
            if trusted is None:
                signers = sorted({c.public_key for c in app.log_tables().stored_checkpoints()})
                print("注意：未配置审计公钥（FANGPIN_AUDIT_PUBLIC_KEY），检查点与导出文件的签名只核对了"
                      "自洽，未核对是谁签的" + (f"；检查点的签名公钥：{'、'.join(signers)}"
                                               if signers else ""), file=sys.stderr)
            rebuilt = app.rebuild_person_index()
            print(f"人员索引已重建：{rebuilt.memberships} 条成员记录"
                  + (f"，其中 {rebuilt.duplicates} 条为同时属于两户（见 fangpin people duplicates）"
                     if rebuilt.duplicates else ""))
            print("重建读模型…")
            with Projections(app) as projections, progress_bar(args, "重建读模型") as tick:
                projections.rebuild(progress=tick)
    except AuditError as error:
        print(f"错误 {error.code}：{error.message}", file=sys.stderr)
        return 1
    print(f"完成：{settings.describe()}")
    return 0
