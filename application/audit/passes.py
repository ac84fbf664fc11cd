"""The passes of `verify` over the log (see `application.audit`): by position against the chain
rows, feeding the checkpoints' segment digests; by household in version order; and the evidence
files against the digests the events name."""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import msgspec

from application.audit.checkpoints import SEGMENT_SIZE
from application.audit.findings import Finding, VerifyReport
from application.audit.tables import LogTables
from application.evidence import AttachmentStore
from application.store.chain import GENESIS, as_bytes, link, raw_content_hash, topic_bytes
from domain.household import Household

#: Above this many households to look at again, the household pass reads the whole log instead
#: of one household at a time.
RECHECK_ONE_BY_ONE = 2000


class Segments:
    """Segment digests of the log in position order, with a snapshot at chosen positions."""

    def __init__(self, stops: Iterable[int]) -> None:
        self.digests: list[str] = []
        self.index = 0
        self.current = hashlib.sha256()
        self.stops = sorted(set(stops))
        # (closed segments, digest of the open one, events) at each stop: the closed digests
        # only ever grow, so a prefix of them is the stop's list without copying it.
        self.at_stop: dict[int, tuple[int, str, int]] = {}
        self.count = 0

    def add(self, positions: list[int], contents: list[bytes]) -> None:
        """Events in position order: each (position, content hash) into its segment's digest,
        the run of them between two boundaries (a segment's end, a stop) in one update."""
        start = 0
        while start < len(positions):
            self._advance_to(positions[start])
            boundary = (self.index + 1) * SEGMENT_SIZE
            if self.stops and self.stops[0] < boundary:
                boundary = self.stops[0]
            stop = max(bisect_right(positions, boundary, start), start + 1)
            self.current.update(b"".join(
                position.to_bytes(8, "big") + content
                for position, content in zip(positions[start:stop], contents[start:stop],
                                             strict=True)))
            self.count += stop - start
            start = stop

    def _advance_to(self, position: int) -> None:
        """Snapshot the stops before ``position``, then close the segments before it."""
        while self.stops and self.stops[0] < position:
            self._snapshot(self.stops.pop(0))
        self._close_segments_before(position)

    def _snapshot(self, stop: int) -> None:
        self._close_segments_before(stop)
        self.at_stop[stop] = (len(self.digests), self.current.hexdigest(), self.count)

    def digests_at(self, stop: int) -> Iterator[str]:
        closed, current, _ = self.at_stop[stop]
        yield from self.digests[:closed]
        yield current

    def _close_segments_before(self, position: int) -> None:
        while position > (self.index + 1) * SEGMENT_SIZE:
            self.digests.append(self.current.hexdigest())
            self.current = hashlib.sha256()
            self.index += 1

    def finish(self, end: int) -> None:
        for stop in self.stops:
            self._snapshot(stop)
        self.stops = []
        if end:
            self._snapshot(end)


@dataclass
class Positions:
    """What the position pass leaves for the others."""

    #: Households (raw ids) whose events in log order did not run 1, 2, 3… each naming the link
    #: before it: only these can have a finding of the household pass.
    unsure: set[Any] = field(default_factory=set)
    #: How many households have an event up to the end.
    households: int = 0
    #: (position, raw id, version, state) of each `EvidenceAttached` event.
    attached: list[tuple[int, Any, int, bytes]] = field(default_factory=list)


def check_positions(
    tables: LogTables, end: int, segments: Segments, report: VerifyReport,
    progress: Callable[[int, int], None] | None,
) -> Positions:
    """Each event against the chain row sealed at its position (altered, reordered, inserted,
    deleted), its content hash into the segment digests; and, per household, whether its events
    in log order ran version after version, each chain row naming the link before it."""
    found_at: dict[tuple[Any, int], int] = {}    # event at a position sealed for another
    sealed_at: dict[tuple[Any, int], int] = {}   # chain row whose event is not at its position
    # per household: (version, link) of its last event so far; None once it is unsure
    heads: dict[Any, tuple[int, bytes] | None] = {}
    start = (0, GENESIS)
    topics: dict[Any, bytes] = {}
    attached_topic = Household.EvidenceAttached.TOPIC
    found = Positions()
    read_id = tables.id_reader()
    for last, events, elsewhere in tables.pages(end):
        positions: list[int] = []
        contents: list[bytes] = []
        for position, household, version, topic, state, sealed, previous, sealed_link in events:
            topic_part = topics.get(topic)
            if topic_part is None:
                topic_part = topics[topic] = topic_bytes(str(topic))
            if state.__class__ is not bytes:
                state = as_bytes(state)
            try:
                id_bytes = read_id(household)
            except (TypeError, ValueError):  # not as the application writes it
                id_bytes = tables.id_bytes(household)
            content = raw_content_hash(id_bytes, version, topic_part, state)
            positions.append(position)
            contents.append(content)
            if topic == attached_topic:
                found.attached.append((position, household, version, state))
            if not sealed:
                found_at[(household, version)] = position
                heads[household] = None
                continue
            if previous.__class__ is not bytes or sealed_link.__class__ is not bytes:
                previous, sealed_link = as_bytes(previous), as_bytes(sealed_link)
            if link(previous, content) != sealed_link:
                report.findings.append(Finding(
                    "altered", f"位置 {position} 的事件内容与写入时的哈希链不符",
                    tables.household(household), version, position))
            head = heads.get(household, start)
            if head is not None:
                heads[household] = ((version, sealed_link)
                                    if version == head[0] + 1 and previous == head[1] else None)
        for position, household, version in elsewhere:
            sealed_at[(household, version)] = position
        segments.add(positions, contents)
        report.events += len(events)
        if progress:
            progress(last, end)
    _moved(tables, found_at, sealed_at, report)
    found.unsure = {household for household, head in heads.items() if head is None}
    found.households = len(heads)
    return found


def _moved(tables: LogTables, found_at: dict[tuple[Any, int], int],
           sealed_at: dict[tuple[Any, int], int], report: VerifyReport) -> None:
    """Events at a position sealed for another: reordered when sealed elsewhere, else
    inserted; chain rows whose event is gone: deleted."""
    for (household, version), position in sorted(found_at.items(), key=lambda item: item[1]):
        was = sealed_at.pop((household, version), None)
        if was is not None:
            report.findings.append(Finding(
                "reordered", f"该事件写入时在位置 {was}，现在在位置 {position}",
                tables.household(household), version, position))
        else:
            report.findings.append(Finding(
                "inserted", f"位置 {position} 的事件没有写入时的哈希链记录（绕过应用写入）",
                tables.household(household), version, position))
    for (household, version), position in sorted(sealed_at.items(), key=lambda item: item[1]):
        report.findings.append(Finding(
            "deleted", f"写入在位置 {position} 的事件已不在日志中",
            tables.household(household), version, position))


def check_households(tables: LogTables, end: int, unsure: set[Any], report: VerifyReport) -> None:
    """Household by household in version order, those the position pass was unsure of:
    versions must run 1, 2, 3… (a gap is a deletion), positions must grow with versions (else
    reordered), each chain row must name the link of the event before it (else that earlier
    event was altered and its link recomputed). A household whose events ran so in log order
    passes all three, so only the others are read again."""
    if len(unsure) > RECHECK_ONE_BY_ONE:
        _household_findings(tables.household_rows(), end, report)
        return
    for household in sorted(unsure):
        _household_findings(tables.rows_of_household(household), end, report)


def _household_findings(rows: Iterable[tuple[UUID, int, int, bytes | None, bytes | None]],
                        end: int, report: VerifyReport) -> None:
    household: UUID | None = None
    expected_version = 1
    last_position = 0
    head: bytes | None = GENESIS
    for current, version, position, previous, event_hash in rows:
        if position > end:
            continue
        if current != household:
            household, expected_version, last_position, head = current, 1, 0, GENESIS
        for missing in range(expected_version, version):
            report.findings.append(Finding(
                "deleted", f"第 {missing} 件事件缺失（事件与其哈希链记录都被删除）",
                household, missing))
            head = None
        if position < last_position:
            report.findings.append(Finding(
                "reordered", f"位置 {position} 早于同户前一件事件的位置 {last_position}",
                household, version, position))
        if previous is not None and head is not None and previous != head:
            report.findings.append(Finding(
                "altered", f"第 {version - 1} 件事件的哈希与第 {version} 件记录的前链不符"
                "（事件与其链值都被改写）", household, version - 1))
        expected_version, last_position, head = version + 1, position, event_hash


def check_attachments(tables: LogTables, attached: list[tuple[int, Any, int, bytes]],
                      report: VerifyReport, open_state: Callable[[bytes], bytes] | None) -> None:
    """Each evidence file against its digest (one altered in the database is named, with the
    household and fact it was attached to), and each digest the log's `EvidenceAttached` events
    name against the files kept (one deleted). Encrypted event state is read with
    ``open_state`` (the key's decryption); without it only the files themselves are checked."""
    store = AttachmentStore(tables.datastore, tables.backend)
    kept = store.digests()
    report.attachments = len(kept)
    named = _named_attachments(tables, attached, open_state)
    report.attachments_named_checked = named is not None
    for digest in store.altered():
        places = [n for n in named or () if digest in n.attachments]
        report.findings.extend(Finding(
            "attachment", f"{n.fact} 所附的附件 {digest} 的内容与其 SHA-256 不符（文件在库中被改动）",
            n.household, n.version, n.position) for n in places)
        if not places:
            report.findings.append(Finding(
                "attachment", f"附件 {digest} 的内容与其 SHA-256 不符（文件在库中被改动；"
                f"{'未附于任何事实' if named is not None else '事件内容无法解密，未能查明所附事实'}）"))
    for n in named or ():
        for digest in n.attachments:
            if digest not in kept:
                report.findings.append(Finding(
                    "attachment", f"{n.fact} 所附的附件 {digest} 不在库中（被删除）",
                    n.household, n.version, n.position))


@dataclass(frozen=True)
class _Attached:
    """One `EvidenceAttached` event as the log holds it."""

    household: UUID
    version: int
    position: int
    fact: str
    attachments: list[str]


def _named_attachments(tables: LogTables, attached: list[tuple[int, Any, int, bytes]],
                       open_state: Callable[[bytes], bytes] | None) -> list[_Attached] | None:
    """Every `EvidenceAttached` event the position pass saw; None when their state cannot be
    read here (encrypted at rest, and no key or the wrong one)."""
    found = []
    for position, household, version, state in attached:
        files = _read_named(state, open_state)
        if files is None:
            return None
        found.append(_Attached(tables.household(household), version, position, files.fact,
                               files.attachments))
    return found


def _read_named(state: bytes, open_state: Callable[[bytes], bytes] | None) -> _NamedFiles | None:
    try:
        return msgspec.json.decode(state, type=_NamedFiles)
    except msgspec.DecodeError:
        if open_state is None:
            return None
    try:
        return msgspec.json.decode(open_state(state), type=_NamedFiles)
    except (ValueError, msgspec.DecodeError):  # the wrong key, or damaged beyond reading
        return None


class _NamedFiles(msgspec.Struct):
    fact: str
    attachments: list[str]
