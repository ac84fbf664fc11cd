"""Evidence files on both back ends: uploaded, checked for real, stripped of location, attached
to a visit by digest, read back; an altered file is named by verify; a move carries the files."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest
from PIL import Image

from application.app import CaseFiles
from application.audit import state_reader, verify
from application.backup import export_log, import_log
from application.commands import AttachEvidence, RecordVisit
from application.evidence import FileTooLarge, KindNotAccepted
from application.evidence.store import AttachmentStore
from application.store.encryption import fingerprint
from domain.codes import Check
from domain.errors import InvalidValue
from interfaces.cli import main
from tests.builders import COUNTY, VILLAGE, registering
from tests.conftest import FakeClock
from tests.evidence_files import (
    GPS_IFD,
    MAKE,
    ORIENTATION,
    exif_of,
    fake_png,
    labelled_png,
    oversized_jpeg,
    phone_photo,
    scanned_pdf,
)
from tests.integration.test_backup import NOW, fresh_store

DAY = date(2025, 1, 1)
CODE = "130630101001"


def visited(app: CaseFiles) -> None:
    app.register_household(registering(CODE), by=COUNTY)
    app.execute(CODE, RecordVisit(visit_id="V-1", visitor="李网格", checks=dict.fromkeys(Check, True),
                                  occurred_on=DAY), by=VILLAGE)


def attach(app: CaseFiles, *digests: str) -> None:
    app.execute(CODE, AttachEvidence(fact="visit:V-1", attachments=list(digests), note="入户照片",
                                     occurred_on=DAY), by=VILLAGE)


def test_a_photo_attached_to_a_visit_reads_back_without_its_location(make_app) -> None:
    """Given a visit, when a phone photo (GPS, camera) and a scanned PDF are uploaded and
    attached, then the case file names both digests, each digest is of the bytes kept, the
    photo kept has no GPS or camera but keeps its orientation, and it has a thumbnail."""
    app: CaseFiles = make_app()
    visited(app)
    store = app.attachments()
    photo = store.receive(phone_photo(), "image/jpeg", by="grid-01")
    pdf = store.receive(scanned_pdf(), None, by="grid-01")
    again = store.receive(phone_photo(), "image/jpeg", by="grid-01")
    attach(app, photo.sha256, pdf.sha256)

    assert again == photo and (photo.media_type, pdf.media_type) == ("image/jpeg", "application/pdf")
    assert app.household(CODE).evidence_of("visit:V-1") == [photo.sha256, pdf.sha256]
    kept, media_type = store.content(photo.sha256) or (b"", "")
    assert hashlib.sha256(kept).hexdigest() == photo.sha256 and media_type == "image/jpeg"
    exif = exif_of(kept)
    assert not exif.get_ifd(GPS_IFD) and MAKE not in exif and exif[ORIENTATION] == 6
    thumbnail = Image.open(io.BytesIO(store.thumbnail(photo.sha256) or b""))
    assert max(thumbnail.size) <= 320 and thumbnail.size[1] > thumbnail.size[0]  # upright
    assert store.thumbnail(pdf.sha256) is None
    assert verify(app.log_tables()).clean


def test_a_county_that_keeps_photo_metadata_keeps_it(make_app) -> None:
    app: CaseFiles = make_app(keep_photo_metadata=True)
    photo = app.attachments().receive(phone_photo(), "image/jpeg", by="grid-01")
    kept, _ = app.attachments().content(photo.sha256) or (b"", "")
    assert kept == phone_photo() and exif_of(kept).get_ifd(GPS_IFD)


def test_text_chunks_of_a_png_are_stripped(make_app) -> None:
    app: CaseFiles = make_app()
    png = app.attachments().receive(labelled_png(), "image/png", by="grid-01")
    kept, _ = app.attachments().content(png.sha256) or (b"", "")
    assert b"Location" in labelled_png() and b"Location" not in kept
    assert Image.open(io.BytesIO(kept)).size == (200, 100)


@pytest.mark.parametrize(("data", "declared", "error", "code"), [
    (fake_png(), "image/png", InvalidValue, "ATTACHMENT_UNREADABLE"),
    (oversized_jpeg(), "image/jpeg", FileTooLarge, "ATTACHMENT_TOO_LARGE"),
    (b"GIF89a" + b"\x00" * 100, "image/gif", KindNotAccepted, "ATTACHMENT_TYPE"),
    (scanned_pdf(), "image/png", KindNotAccepted, "ATTACHMENT_TYPE_MISMATCH"),
    (b"%PDF-1.7\n" + b"0" * 100, "application/pdf", InvalidValue, "ATTACHMENT_UNREADABLE"),
], ids=["fake-png", "oversized", "gif", "pdf-called-png", "truncated-pdf"])
def test_a_file_that_is_not_what_it_claims_or_too_large_is_refused_and_not_kept(
        make_app, data: bytes, declared: str, error: type, code: str) -> None:
    app: CaseFiles = make_app()
    with pytest.raises(error) as refused:
        app.attachments().receive(data, declared, by="grid-01")
    assert refused.value.code == code and refused.value.message
    assert app.attachments().digests() == set()


def test_a_digest_never_uploaded_is_refused_naming_its_place(make_app) -> None:
    app: CaseFiles = make_app()
    visited(app)
    photo = app.attachments().receive(phone_photo(), None, by="grid-01")
    with pytest.raises(InvalidValue) as refused:
        attach(app, photo.sha256, "ab" * 32)
    assert (refused.value.code, refused.value.field) == ("ATTACHMENT_UNKNOWN", "attachments[1]")
    assert app.household(CODE).evidence == []


def test_verify_names_a_file_altered_in_the_database(make_app, settings, cli_env, capsys) -> None:
    app: CaseFiles = make_app()
    visited(app)
    photo = app.attachments().receive(phone_photo(), None, by="grid-01")
    pdf = app.attachments().receive(scanned_pdf(), None, by="grid-01")
    attach(app, photo.sha256, pdf.sha256)
    store = app.attachments()
    p = store._p
    with store.datastore.transaction(commit=True) as cursor:
        cursor.execute(f"UPDATE {store.table} SET content = {p} WHERE sha256 = {p}",
                       (scanned_pdf(padding=3), pdf.sha256))

    report = verify(app.log_tables(), open_state=state_reader(settings))
    assert [(f.kind, f.kind_name) for f in report.findings] == [("attachment", "附件与摘要不符")]
    assert pdf.sha256 in report.findings[0].detail and report.attachments == 2
    # the auditor's command names the household, the event and the fact the file was attached to
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"[附件与摘要不符] 户 {CODE} 第 3 件 位置 " in out, out
    assert f"visit:V-1 所附的附件 {pdf.sha256} 的内容与其 SHA-256 不符" in out


def test_verify_names_a_file_deleted_from_the_database(make_app, settings) -> None:
    app: CaseFiles = make_app()
    visited(app)
    photo = app.attachments().receive(phone_photo(), None, by="grid-01")
    attach(app, photo.sha256)
    store = app.attachments()
    with store.datastore.transaction(commit=True) as cursor:
        cursor.execute(f"DELETE FROM {store.table}")

    report = verify(app.log_tables(), open_state=state_reader(settings))
    assert report.attachments_named_checked, "encrypted at rest, the key reads the events"
    assert [f.kind for f in report.findings] == ["attachment"]
    assert photo.sha256 in report.findings[0].detail and report.findings[0].version == 3
    if settings.cipher_key:  # without the key only the files themselves are checked
        blind = verify(app.log_tables())
        assert blind.clean and not blind.attachments_named_checked


@pytest.mark.parametrize("target", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_export_and_import_carry_the_files(make_app, settings, tmp_path, target: str) -> None:
    """Given a visit with two files attached, when the log is exported and imported into an
    empty store of either back end, then the files come along byte for byte, with thumbnails,
    and the imported store verifies clean."""
    app: CaseFiles = make_app()
    visited(app)
    photo = app.attachments().receive(phone_photo(), None, by="grid-01")
    pdf = app.attachments().receive(scanned_pdf(), None, by="grid-01")
    attach(app, photo.sha256, pdf.sha256)
    path = tmp_path / "county.fangpin.gz"
    summary = export_log(app.log_tables(), path, encryption=fingerprint(settings.cipher_key),
                         source="test", now=NOW)
    assert summary.attachments == 2

    with fresh_store(target, tmp_path, settings.cipher_key) as other, \
            CaseFiles(other, clock=FakeClock()) as moved:
        imported = import_log(moved.log_tables(), path, encryption=fingerprint(settings.cipher_key))
        assert imported.attachments == 2
        assert moved.household(CODE).evidence_of("visit:V-1") == [photo.sha256, pdf.sha256]
        for digest in (photo.sha256, pdf.sha256):
            assert moved.attachments().content(digest) == app.attachments().content(digest)
        assert moved.attachments().thumbnail(photo.sha256) == app.attachments().thumbnail(photo.sha256)
        assert verify(moved.log_tables()).clean


def test_an_import_of_an_altered_file_is_undone(make_app, settings, tmp_path) -> None:
    """A file altered in the source store before export does not verify after import: the
    import is undone."""
    from application.backup import BackupError

    app: CaseFiles = make_app()
    visited(app)
    pdf = app.attachments().receive(scanned_pdf(), None, by="grid-01")
    attach(app, pdf.sha256)
    store = app.attachments()
    with store.datastore.transaction(commit=True) as cursor:
        cursor.execute(f"UPDATE {store.table} SET content = {store._p}", (scanned_pdf(padding=1),))
    path = tmp_path / "county.fangpin.gz"
    export_log(app.log_tables(), path, encryption=fingerprint(settings.cipher_key), source="t", now=NOW)
    with fresh_store("sqlite", tmp_path, settings.cipher_key) as other, \
            CaseFiles(other, clock=FakeClock()) as moved:
        with pytest.raises(BackupError) as refused:
            import_log(moved.log_tables(), path, encryption=fingerprint(settings.cipher_key))
        assert refused.value.code == "BACKUP_NOT_VERIFIED" and pdf.sha256 in refused.value.message
        assert moved.attachments().digests() == set() and moved.log_tables().max_position() == 0


def test_an_unattached_upload_alone_is_still_checked(make_app) -> None:
    app = make_app()
    AttachmentStore(app.recorder.datastore, app.settings.backend)  # the table made twice is one
    app.attachments().receive(scanned_pdf(), None, by="grid-01")
    assert verify(app.log_tables()).attachments == 1
