"""Evidence (证据附件): photos and documents that show a recorded fact happened as recorded.

The bytes are kept beside the log, named by their SHA-256; a case file holds only the digests,
so the log's hash chain covers the evidence. Here a digest is just a text of 64 hex digits, and
a fact is named by its key: the kind of record and its id in the household's case file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from domain.errors import InvalidValue
from domain.values import Actor

_SHA256 = re.compile(r"[0-9a-f]{64}")

#: The facts evidence may be attached to, by the first part of their key, as the notice names
#: them; the rest of the key is the record's id in the case file.
FACT_KINDS: dict[str, str] = {
    "visit": "入户走访",
    "alert": "预警信息",
    "step": "认定或消除环节",
    "measure": "帮扶措施",
    "payout": "防贫保赔付",
    "appeal": "申诉",
}

#: How a fact's key is written, for people (the API's description and refusals).
FACT_FORMS = ("visit:走访编号、alert:预警编号、measure:措施编号、payout:赔付编号、appeal:申诉编号、"
              "step:案件号:identification|elimination:home_visit|village_notice|township_review|"
              "county_decision")

#: The most files one attachment names.
MAX_ATTACHMENTS = 20


def is_sha256(text: object) -> bool:
    """Whether ``text`` is a SHA-256 digest as this system writes one: 64 lowercase hex digits."""
    return isinstance(text, str) and _SHA256.fullmatch(text) is not None


def checked_digests(digests: list[str], field: str = "attachments") -> list[str]:
    """The digests of an attachment, each once, in the order given: at least one, at most
    `MAX_ATTACHMENTS`, each 64 lowercase hex digits (refused naming ``field[i]``)."""
    if not digests:
        raise InvalidValue("ATTACHMENTS_REQUIRED", "请至少附一个文件（先上传，得到其 SHA-256）", field)
    if len(digests) > MAX_ATTACHMENTS:
        raise InvalidValue("ATTACHMENTS_TOO_MANY", f"一次最多附 {MAX_ATTACHMENTS} 个文件", field)
    for index, digest in enumerate(digests):
        if not is_sha256(digest):
            raise InvalidValue("ATTACHMENT_DIGEST", "附件须以其 SHA-256 摘要（64 位小写十六进制）指明",
                               f"{field}[{index}]")
    return list(dict.fromkeys(digests))


def fact_kind(fact: str) -> str | None:
    """The kind of fact a key names (``visit`` of ``visit:V-1``), or None if none may carry
    evidence."""
    kind, colon, rest = fact.partition(":")
    return kind if colon and rest and kind in FACT_KINDS else None


@dataclass(frozen=True)
class Evidence:
    """Files attached to a recorded fact: which fact, the digests of the files, what they show,
    the day they were attached and who attached them."""

    fact: str
    attachments: tuple[str, ...]
    note: str
    occurred_on: date
    attached_by: Actor

    @property
    def fact_label(self) -> str:
        """The fact in words: 入户走访 V-1."""
        kind, _, rest = self.fact.partition(":")
        return f"{FACT_KINDS.get(kind, kind)} {rest}"
