"""Checking the event log against its hash chain and its signed checkpoints.

`verify` reads the whole log once in log order, a page at a time (memory grows with the
households, a head of about 0.3 KB each, not with the events), then reads again only the
households whose events did not run as written:

1. In log order, position by position, each event against the chain row sealed at that position
   when it was written: an event whose content no longer gives its link was **altered**; an
   event at a position sealed for another one was **reordered** (moved); an event with no chain
   row was **inserted** behind the application; a chain row with no event marks one **deleted**.
2. Household by household, in version order: versions must run 1, 2, 3… (a gap is a deletion),
   positions must grow with versions (else reordered), and each chain row must name the link
   of the event before it (else that earlier event was altered and its link recomputed). The
   first pass keeps each household's last version and link, so a household whose events came
   in log order version after version, each naming the link before it, passes all three: only
   the others are read again, by household.

A **checkpoint** commits to the log as it stood at a position: the log is cut into segments of
`SEGMENT_SIZE` positions, each segment's digest is a SHA-256 over (position, content hash) of its
events in order, and the checkpoint holds every segment digest, their hash, the event count and
an Ed25519 signature. Checkpoints are kept in a table beside the log and written to files to be
kept elsewhere; verifying against one names every segment whose events were added, removed,
changed or reordered since it was signed, even if the chain table was rewritten to match.

The package: `tables` (the raw tables), `checkpoints` (checkpoints, signing keys, checkpoint
files), `findings` (what verify reports), `passes` (the passes over the log) and `verify`
(verifying, signing a checkpoint, one household's proof).
"""

from __future__ import annotations

from application.audit.checkpoints import (
    AuditError,
    Checkpoint,
    checkpoint_file,
    generate_signing_key,
    load_signing_key,
    public_hex,
    trusted_public_key,
)
from application.audit.findings import Finding, VerifyReport
from application.audit.tables import LogTables, open_log_tables, state_reader
from application.audit.verify import household_proof, sign_checkpoint, verify

__all__ = [
    "AuditError",
    "Checkpoint",
    "Finding",
    "LogTables",
    "VerifyReport",
    "checkpoint_file",
    "generate_signing_key",
    "household_proof",
    "load_signing_key",
    "open_log_tables",
    "public_hex",
    "sign_checkpoint",
    "state_reader",
    "trusted_public_key",
    "verify",
]
