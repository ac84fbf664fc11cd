"""What `verify` reports: each finding, and the report of one run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Finding:
    """One thing the log shows was done behind the application's back."""

    # altered | deleted | inserted | reordered | checkpoint | signature | snapshot | attachment
    kind: str
    detail: str
    household_id: UUID | None = None
    version: int | None = None
    position: int | None = None

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]


KIND_NAMES = {
    "altered": "被改动", "deleted": "被删除", "inserted": "被插入", "reordered": "被重排",
    "checkpoint": "与检查点不符", "signature": "检查点签名无效", "snapshot": "快照与事件不符",
    "attachment": "附件与摘要不符",
}


@dataclass
class VerifyReport:
    position: int
    events: int = 0
    households: int = 0
    checkpoints: list[int] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: Digests of the segments up to ``position`` as the log is now (hex).
    segments: list[str] = field(default_factory=list)
    #: Whether the snapshots were compared with the events (it needs the log decoded).
    snapshots_checked: bool = False
    #: Evidence files checked against their digests.
    attachments: int = 0
    #: Whether every digest the log names was looked for among the files (it needs the
    #: events' state readable: not with encryption at rest).
    attachments_named_checked: bool = False

    @property
    def clean(self) -> bool:
        return not self.findings


def unique(findings: list[Finding]) -> list[Finding]:
    """One finding per event and kind (both passes can see the same reordering)."""
    seen: set[tuple[Any, ...]] = set()
    kept = []
    for finding in findings:
        key = (finding.kind, finding.household_id, finding.version,
               finding.position if finding.household_id is None else None)
        if finding.household_id is not None and finding.kind in ("deleted", "reordered"):
            key = ("event", finding.household_id, finding.version)
        if finding.kind == "attachment":  # one event may name several files
            key = (*key, finding.detail)
        if key in seen:
            continue
        seen.add(key)
        kept.append(finding)
    return kept
