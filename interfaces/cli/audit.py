"""The auditors' commands:

    fangpin audit keygen [--output PEM]             an Ed25519 key to sign checkpoints
    fangpin audit checkpoint                        verify the log, sign a checkpoint, write its file
    fangpin audit verify [--from-checkpoint FILE]… [--format text|json]
    fangpin audit history CODE [--as-of T]          a household's timeline as recorded by a time
    fangpin audit access-log [--household CODE] [--user NAME]   who read which household's file

Checking the log reads its raw tables, so it needs no encryption key; with the key
(``FANGPIN_CIPHER_KEY``) it also checks that every file the events name is still kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from application.app import CaseFiles
from application.audit import (
    AuditError,
    Checkpoint,
    Finding,
    VerifyReport,
    checkpoint_file,
    generate_signing_key,
    load_signing_key,
    open_log_tables,
    sign_checkpoint,
    state_reader,
    trusted_public_key,
    verify,
)
from application.settings import Settings
from interfaces.cli.common import as_of
from interfaces.cli.households import add_history_format, history
from interfaces.cli.lists import add_format, show_rows
from interfaces.cli.progress import Tick, add_quiet, progress_bar


def add_audit(commands: Any) -> None:
    audit = commands.add_parser(
        "audit", help="for auditors: verify the log, checkpoints, case timelines, who read what")
    audit_commands = audit.add_subparsers(title="audit")
    keygen = audit_commands.add_parser(
        "keygen", help="write a new Ed25519 private key to sign checkpoints; print its public key")
    keygen.add_argument("--output", type=Path, help="default: FANGPIN_SIGNING_KEY or "
                        "var/fangpin-signing-key.pem")
    keygen.set_defaults(run=_keygen, without_app=True)
    checkpoint = audit_commands.add_parser(
        "checkpoint", help="verify the whole log, then sign a checkpoint and write it to a file")
    add_quiet(checkpoint)
    checkpoint.set_defaults(run=_checkpoint, without_app=True)
    check = audit_commands.add_parser(
        "verify", help="re-read the log; name every event altered, deleted, reordered or inserted")
    check.add_argument("--from-checkpoint", type=Path, action="append", default=[],
                       metavar="FILE", help="a checkpoint file kept outside the database "
                       "(may be given more than once)")
    check.add_argument("--format", choices=("text", "json"), default="text")
    add_quiet(check)
    check.set_defaults(run=_verify, without_app=True)
    replay = audit_commands.add_parser(
        "history", help="a household's timeline: happened / recorded / by whom / what changed")
    replay.add_argument("code")
    replay.add_argument("--as-of", type=as_of, help="only what was recorded by this time (or date)")
    add_history_format(replay)
    replay.set_defaults(run=history, route="cli: audit history")
    reads = audit_commands.add_parser("access-log", help="reads of household files, newest first")
    reads.add_argument("--household", help="one household code")
    reads.add_argument("--user", help="one user name")
    reads.add_argument("--limit", type=int, default=50)
    add_format(reads)
    reads.set_defaults(run=_access_log)


#: The access log's columns.
ACCESS_COLUMNS = (("at", "时间"), ("role", "角色"), ("user_name", "用户"), ("household_code", "户编号"),
                  ("route", "途径"), ("outcome", "结果"))


def _access_log(app: CaseFiles, args: argparse.Namespace) -> int:
    from application.accounts.access_log import AccessLog

    log = AccessLog(app.factory.datastore, backend=app.settings.backend)  # type: ignore[attr-defined]
    records = log.query(household_code=args.household, user_name=args.user, limit=args.limit)
    rows = [{"at": r.at, "role": r.role, "user_name": r.user_name, "household_code": r.household_code,
             "route": r.route, "outcome": r.outcome} for r in records]
    show_rows(rows, ACCESS_COLUMNS, args.format, f"档案查阅日志：{len(records)} 条（最新在前，北京时间）")
    return 0


def _keygen(settings: Settings, args: argparse.Namespace) -> int:
    path = args.output or settings.signing_key_path
    try:
        public = generate_signing_key(path)
    except AuditError as error:
        print(f"错误 {error.code}：{error.message}", file=sys.stderr)
        return 1
    print(f"已生成签名私钥 {path}（仅本人可读；以 FANGPIN_SIGNING_KEY 指向它）")
    print(f"审计公钥：{public}")
    print("把公钥交给审计方保存；核验时以 FANGPIN_AUDIT_PUBLIC_KEY 指定它，伪造的检查点就无法冒充。")
    return 0


def _checkpoint(settings: Settings, args: argparse.Namespace) -> int:
    try:
        key = load_signing_key(settings.signing_key_path)
        with open_log_tables(settings) as tables, progress_bar(args, "核验事件日志") as tick:
            checkpoint = sign_checkpoint(tables, key, now=datetime.now(UTC),
                                         directory=settings.checkpoint_dir, progress=tick)
    except AuditError as error:
        print(f"错误 {error.code}：{error.message}", file=sys.stderr)
        return 1
    path = checkpoint_file(checkpoint, settings.checkpoint_dir)
    print(f"已签发第 {checkpoint.sequence} 号检查点：位置 {checkpoint.position}，"
          f"{checkpoint.events} 条事件，总摘要 {checkpoint.log_hash}")
    print(f"已写入 {path}（请复制到数据库以外的地方保存）")
    return 0


def _verify(settings: Settings, args: argparse.Namespace) -> int:
    try:
        files = [Checkpoint.from_json(path.read_bytes()) for path in args.from_checkpoint]
    except OSError as error:
        print(f"错误：无法读取检查点文件：{error}", file=sys.stderr)
        return 2
    except AuditError as error:
        print(f"错误 {error.code}：{error.message}", file=sys.stderr)
        return 2
    try:
        trusted = trusted_public_key(settings)
        with open_log_tables(settings) as tables, progress_bar(args, "核验事件日志") as tick:
            stored = tables.stored_checkpoints()
            known = {c.sequence: c for c in stored}
            # A file kept outside is what is trusted: it replaces the stored copy it names.
            checkpoints = [c for c in stored if c.sequence not in {f.sequence for f in files}]
            checkpoints += files
            report = verify(tables, sorted(checkpoints, key=lambda c: c.position),
                            trusted_key=trusted, progress=tick, open_state=state_reader(settings))
    except AuditError as error:
        print(f"错误 {error.code}：{error.message}", file=sys.stderr)
        return 2
    for f in files:  # a stored checkpoint that differs from its file was changed in the database
        if f.sequence in known and known[f.sequence] != f:
            report.findings.append(Finding(
                "checkpoint", f"库中的第 {f.sequence} 号检查点与所给文件不符（库中副本被改动）",
                position=f.position))
    with progress_bar(args, "核对快照") as tick:
        _check_snapshots(settings, report, tick)
    codes = _household_codes(settings, {f.household_id for f in report.findings if f.household_id})
    if args.format == "json":
        print(json.dumps(_report_json(report, codes, trusted is not None), ensure_ascii=False,
                         indent=2))
    else:
        _print_report(report, codes, trusted is not None, files)
    return 0 if report.clean else 1


def _check_snapshots(settings: Settings, report: VerifyReport, tick: Tick) -> None:
    """Compare every snapshot with its household's events (when the log decodes here)."""
    try:
        app = CaseFiles(settings)
    except Exception:  # no key or the wrong one: the chain was still checked without it
        return
    with app:
        for household, version in app.stale_snapshots(tick):
            report.findings.append(Finding(
                "snapshot", "快照与事件重放的结果不符（快照在库中被改动）；快照只是缓存，"
                "删除它不丢任何事实，读取时从事件重放", household, version))
    report.snapshots_checked = True


def _household_codes(settings: Settings, ids: set[UUID]) -> dict[UUID, str]:
    """Household codes of the findings, read from each household's first event when the log can
    be decoded here (it cannot without the encryption key, or when that event is gone)."""
    if not ids:
        return {}
    codes: dict[UUID, str] = {}
    try:
        with CaseFiles(settings) as app:
            for household in ids:
                try:
                    first = next(iter(app.events.get(household, lte=1)), None)
                except Exception:  # an altered first event may not decode: name it by id
                    continue
                if first is not None:
                    codes[household] = _aggregate_name(first)
    except Exception:  # no key, wrong key: the ids still name the households
        return codes
    return codes


_LEDGERS = {"PushLedger": "推送台账", "Governance": "会商调度记录", "ImportLedger": "导入台账",
            "UnmatchedAlerts": "未匹配预警", "IncomeLinePolicy": "收入监测标准与扶贫标准"}


def _aggregate_name(first_event: Any) -> str:
    """How people name the aggregate whose first event this is."""
    code = getattr(first_event, "code", None)
    if code:
        return f"户 {code}"
    kind = type(first_event).__qualname__.split(".")[0]
    department = getattr(first_event, "department", None)
    return f"{department or ''}{_LEDGERS.get(kind, kind)}"


def _who(finding: Finding, codes: dict[UUID, str]) -> str:
    if finding.household_id is None:
        return ""
    name = codes.get(finding.household_id) or f"聚合 {finding.household_id}"
    version = f" 第 {finding.version} 件" if finding.version is not None else ""
    return f"{name}{version}"


def _print_report(report: VerifyReport, codes: dict[UUID, str], trusted: bool,
                  files: list[Checkpoint]) -> None:
    print(f"核验事件日志：{report.events} 条事件，{report.households} 个聚合（农户与台账），"
          f"到位置 {report.position}；{report.attachments} 个附件逐一对照其 SHA-256")
    if report.checkpoints:
        print(f"对照检查点：{'、'.join(f'第 {n} 号' for n in report.checkpoints)}"
              f"{'（含所给文件）' if files else ''}")
    else:
        print("尚无检查点（用 `fangpin audit checkpoint` 签发）")
    if not trusted:
        print("注意：未配置审计公钥（FANGPIN_AUDIT_PUBLIC_KEY），只核对签名与内容自洽")
    if not report.snapshots_checked:
        print("注意：日志在此无法解密（未设置或设错 FANGPIN_CIPHER_KEY），未核对快照")
    if not report.attachments_named_checked:
        print("注意：事件内容已加密且此处没有其密钥（FANGPIN_CIPHER_KEY），未核对事件所附的附件"
              "是否都在库中（附件本身已逐一对照摘要）")
    if report.clean:
        print("结果：未发现问题：哈希链完整，检查点一致")
        return
    print(f"结果：发现 {len(report.findings)} 处问题")
    for f in report.findings:
        where = f"位置 {f.position}" if f.position is not None else ""
        print(f"  [{f.kind_name}] {' '.join(x for x in (_who(f, codes), where) if x)}：{f.detail}")


def _report_json(report: VerifyReport, codes: dict[UUID, str], trusted: bool) -> dict[str, Any]:
    return {
        "clean": report.clean, "events": report.events, "households": report.households,
        "position": report.position, "checkpoints": report.checkpoints,
        "trusted_key_configured": trusted, "snapshots_checked": report.snapshots_checked,
        "attachments": report.attachments,
        "attachments_named_checked": report.attachments_named_checked,
        "findings": [{
            "kind": f.kind, "kind_name": f.kind_name, "household_id": str(f.household_id)
            if f.household_id else None, "version": f.version, "position": f.position,
            "aggregate": codes.get(f.household_id) if f.household_id else None,
            "detail": f.detail} for f in report.findings],
    }
