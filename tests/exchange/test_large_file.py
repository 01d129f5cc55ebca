"""A large attachment travels from release to the receiver's document with flat memory in
every process: this e-office (sender and receiver agencies, the worker's jobs) and a real
`vpdt hub serve` process.

The rule proved: memory does not follow the attachment's size. A process that held the file
(or its base64 package) whole would grow by at least its size; the bound is half the size, so
such a process fails while a streaming one (it grows by 10-25 MB, whatever the size) passes.
96 MB by default, which proves that in a fraction of the time 200 MB took; the bound never
exceeds 100 MB (VPDT_LARGE_FILE_MB=500 for the issue's size, bound 100 MB)."""

from __future__ import annotations

import hashlib
import os
import resource

import pytest

from tests import factories
from tests.core.test_blobs import Pattern
from tests.hub.procs import HubProcess, run_all
from vpdt.core import blobs
from vpdt.directory.roles import Role
from vpdt.records.choices import Direction, State
from vpdt.records.models import Attachment, Document
from vpdt.records.services import add_attachment

from .conftest import make_agency, release_to
from .test_e2e import pump

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db]

MB = 1024 * 1024
SIZE_MB = int(os.environ.get("VPDT_LARGE_FILE_MB", "96"))
LIMIT_MB = min(100, SIZE_MB // 2)


def _peak_mb(pid: int | None = None) -> float:
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_large_attachment_reaches_the_receiver_with_flat_memory_everywhere(settings, tmp_path, blob_dir):
    settings.DATA_DIR = tmp_path
    settings.EXCHANGE_HTTP_TIMEOUT_SECONDS = 300
    hub = HubProcess("p1", tmp_path)
    hub.env["VPDT_HUB_MAX_PACKAGE_MB"] = str(SIZE_MB * 2)
    sender_code, receiver_code = "000.00.01.H90", "000.00.02.H90"
    run_all({hub: [("add-agency", code, f"Cơ quan {code}", "--system-id", f"sys.{code}", "--secret", f"secret-{code}")
                   for code in (sender_code, receiver_code)]})
    hub.start()
    hub_start = _peak_mb(hub.proc.pid)
    try:
        sender = make_agency(sender_code, "Văn phòng UBND tỉnh", endpoint=hub.url, hub_register=False)
        receiver = make_agency(receiver_code, "Sở Nội vụ", endpoint=hub.url, hub_register=False)
        for agency in (sender, receiver):
            agency.max_upload_mb = SIZE_MB * 2
            agency.save()
        clerk = factories.person(sender, Role.CLERK, Role.LEADER)
        before = _peak_mb()

        document = factories.document(sender, state=State.APPROVED, notation="UBND-VP",
                                      subject="Về việc chuyển hồ sơ số hóa dung lượng lớn", place="Bình Sơn")
        # An archive (kept for download: core.filetypes), its bytes made on demand.
        archive = factories.StoredZip("ho-so.bin", SIZE_MB * MB - 200, lambda: Pattern(SIZE_MB * MB - 200))
        add_attachment(None, document, archive, "ho-so-so-hoa.zip", content_type="application/octet-stream",
                       kind=Attachment.Kind.MAIN)
        document = release_to(document, clerk, [receiver])

        def arrived():
            return Document.objects.filter(agency=receiver, direction=Direction.INCOMING).exists()

        pump(arrived, timeout=600)
        copy = Document.objects.get(agency=receiver, direction=Direction.INCOMING)
        original = document.attachments.get().blob
        received = copy.attachments.get().blob
        digest = hashlib.sha256()
        for chunk in blobs.iter_blob(received):
            digest.update(chunk)
        growth = _peak_mb() - before
        hub_peak = _peak_mb(hub.proc.pid)
    finally:
        hub.stop()
    assert received.size == original.size
    assert digest.hexdigest() == received.sha256 == original.sha256
    assert copy.state == State.RECEIVED
    print(f"\n{SIZE_MB} MB attachment: e-office peak RSS growth {growth:.0f} MB, "
          f"hub process peak {hub_peak:.0f} MB ({hub_peak - hub_start:.0f} MB over its start)")
    assert growth < LIMIT_MB, f"e-office process grew by {growth:.0f} MB"
    assert hub_peak - hub_start < LIMIT_MB, f"hub process grew by {hub_peak - hub_start:.0f} MB"
