"""The demo province signs for real: a demo CA in DATA_DIR/pki, a software key for every leader
and agency, the demo root in the trust store, and each released outgoing document's main PDF
signed by its signer and then by the agency (seal), so `vpdt pdf verify --trust
<DATA_DIR>/pki/root.pem` says valid and trusted, and receivers see both signatures verified."""

from __future__ import annotations

import io

from django.conf import settings
from django.utils import timezone

from vpdt.core import blobs
from vpdt.directory.models import Agency, User
from vpdt.directory.roles import Role
from vpdt.records import services as records
from vpdt.records.actors import IMPORT, system_actor
from vpdt.records.choices import Direction, State
from vpdt.records.models import Attachment, Document
from vpdt.signing import images, pdf, pki
from vpdt.signing import services as signing
from vpdt.signing.models import SignatureCheck, SigningKey, TrustAnchor


def _leaders() -> list[User]:
    return list(User.objects.filter(role_assignments__role=Role.LEADER).distinct().order_by("username"))


def _keys(ca: pki.DemoCA, leaders: list[User], agencies: list[Agency]) -> None:
    keys = []
    for user in leaders:
        keys.append(SigningKey(user=user, kind=SigningKey.Kind.SOFTWARE, label="Khóa demo",
                               subject=user.full_name, image=images.signature_png(user.full_name),
                               pkcs12_encrypted=signing._encrypt(ca.people[user.username].read_bytes()),
                               password_encrypted=signing._encrypt(ca.password.encode())))
    for agency in agencies:
        keys.append(SigningKey(agency=agency, kind=SigningKey.Kind.SOFTWARE, label="Khóa demo", subject=agency.name,
                               image=images.seal_png(agency.name, place=agency.place or ""),
                               pkcs12_encrypted=signing._encrypt(ca.agencies[agency.code].read_bytes()),
                               password_encrypted=signing._encrypt(ca.password.encode())))
    SigningKey.objects.bulk_create(keys)


def _sign_released(leaders_by_name: dict[tuple[int, str], User]) -> int:
    signed = 0
    opened: dict[int, object] = {}  # each key opened once for the whole demo, not per document

    def signer_for(key):
        if key.pk not in opened:
            opened[key.pk] = signing.open_signer(key)
        return opened[key.pk]

    docs = (Document.objects.filter(direction=Direction.OUTGOING, state=State.RELEASED)
            .select_related("agency").order_by("id"))
    for doc in docs:
        main = doc.attachments.filter(kind=Attachment.Kind.MAIN).first()
        leader = leaders_by_name.get((doc.agency_id, doc.signer_name))
        if main is None or leader is None or not signing.is_pdf(main.name, main.content_type):
            continue
        person_key = signing.key_of(user=leader)
        person = signer_for(person_key)
        agency_key = signing.key_of(agency=doc.agency)
        seal = signer_for(agency_key)
        first, second = io.BytesIO(), io.BytesIO()
        pdf.sign_as_signer(signing._read(main.blob), first, person, signer_name=doc.signer_name,
                           title=signing._title(doc, leader), image=bytes(person_key.image))
        pdf.sign_as_agency(first.getvalue(), second, seal, seal_image=bytes(agency_key.image))
        old = main.blob_id
        blob = blobs.store_stream(io.BytesIO(second.getvalue()), max_bytes=1 << 40)
        # The copies delivered to units and agencies share the file: they get the signed one too.
        copies = list(Attachment.objects.filter(blob_id=old).select_related("document__agency"))
        for copy in copies:
            records.replace_attachment_file(system_actor(copy.document.agency, IMPORT), copy, blob,
                                            action="signing.demo_signed")
        check = signing.verify_attachment(Attachment.objects.get(pk=main.pk))
        now = timezone.now()
        for copy in copies:
            if copy.pk != main.pk:
                SignatureCheck.objects.update_or_create(attachment=copy, defaults={
                    "document_id": copy.document_id, "overall": check.overall, "signatures": check.signatures,
                    "detail": check.detail, "checked_at": now})
        signed += 1
    for signer in opened.values():
        signing._close(signer)
    return signed


def extend_demo(context: dict) -> None:
    progress = context.get("progress", lambda _m: None)
    directory = settings.DATA_DIR / "pki"
    leaders = _leaders()
    agencies = list(Agency.objects.filter(active=True).order_by("code"))
    progress(f"Tạo CA demo và khóa ký số cho {len(leaders)} lãnh đạo, {len(agencies)} cơ quan…")
    ca = pki.make_demo_ca(directory, people=[(u.username, u.full_name) for u in leaders],
                          agencies=[(a.code, a.name) for a in agencies])
    TrustAnchor.objects.get_or_create(
        fingerprint=signing.describe_pem(ca.root_pem.read_text())[1],
        defaults={"name": "vpdt Demo Root CA (chỉ dùng thử)", "pem": ca.root_pem.read_text()})
    _keys(ca, leaders, agencies)
    progress("Ký số các văn bản đi đã phát hành (người ký, rồi cơ quan)…")
    count = _sign_released({(u.agency_id, u.full_name): u for u in leaders})
    context.setdefault("counts", {})["signed"] = count
    # The demo's deliveries stored received files without the inbox: verify them as it would.
    received = (Document.objects.filter(direction=Direction.INCOMING,
                                        attachments__signature_check__isnull=True).distinct().order_by("id"))
    for document in received:
        signing.verify_received(document)
    progress(f"Đã ký số {count} văn bản. CA demo: {directory} (kiểm tra: vpdt pdf verify TỆP.pdf "
             f"--trust {ca.root_pem}); mật khẩu các tệp .p12: {ca.password}")
