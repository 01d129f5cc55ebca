"""The result a resolving agency sends back is signed with its agency key (PAdES)."""

from __future__ import annotations

import io

import pytest

from tests import factories
from tests.motcua.motcua2_world import dossier, world
from vpdt.core import blobs
from vpdt.motcua import joint
from vpdt.signing import images, pki
from vpdt.signing import services as signing
from vpdt.signing.pdf import verify_pdf

pytestmark = pytest.mark.django_db


def test_result_is_signed_pades_with_the_resolving_agencys_key(blob_dir, tmp_path):
    w = world()
    ca = pki.make_demo_ca(tmp_path / "ca", agencies=[(w.department.code, w.department.name)])
    d = dossier(w.build, w.department)
    unsigned, signed_flag = joint.sign_result(d)
    assert unsigned is None and signed_flag is False  # no result yet
    d.result = blobs.store_stream(io.BytesIO(factories.pdf_bytes("giay phep")))
    d.result_filename = "giay-phep.pdf"
    d.save()
    same, signed_flag = joint.sign_result(d)
    assert same == d.result and signed_flag is False  # no key: sent as it is, and said so
    signing.store_software_key(agency=w.department, pkcs12=ca.agencies[w.department.code].read_bytes(),
                               password=ca.password, image=images.seal_png(w.department.name))
    signed, signed_flag = joint.sign_result(d)
    assert signed_flag is True and signed != d.result
    with blobs.open_blob(signed) as fh:
        reports = verify_pdf(io.BytesIO(fh.read()), trust_roots=[])
    assert len(reports) == 1
