"""Evidence files (证据附件): the kinds and limits accepted (`kinds`), checking a file for real
and stripping a photo's location and device data (`content`), and keeping the files beside the
log by their SHA-256 (`store`). The case file records only the digests (`domain.evidence`)."""

from application.evidence.content import CheckedFile, checked_file
from application.evidence.kinds import KINDS, FileTooLarge, KindNotAccepted
from application.evidence.store import AttachmentStore, StoredFile

__all__ = [
    "KINDS",
    "AttachmentStore",
    "CheckedFile",
    "FileTooLarge",
    "KindNotAccepted",
    "StoredFile",
    "checked_file",
]
