"""Reconciliation: an electronic document that matches a paper registration is one record.

During an outage the clerk registers the paper copy; when the package arrives later with
the same issuer, number, notation and date (records.services.find_duplicates), its files
and its interconnection identity join that record instead of a second registration.
"""

from __future__ import annotations

from vpdt import edxml
from vpdt.directory.models import Agency
from vpdt.records import services as records
from vpdt.records.actors import interconnection
from vpdt.records.models import Document
from vpdt.records.services import find_duplicates


def paper_match(agency: Agency, fields: dict) -> Document | None:
    """The paper (or e-mail) registration of the same document, not yet linked to a package."""
    matches = find_duplicates(
        agency, issuer_code=fields["issuer_code"], issuer_name=fields["issuer_name"], number=fields["number"],
        notation=fields["notation"], issued_date=fields["issued_date"],
    )
    for document in matches:
        if not document.edxml_document_id:
            return document
    return None


def link(document: Document, package: edxml.DocumentPackage, fields: dict) -> None:
    """Give the paper record the package's identity (so statuses flow) and note it in the audit log."""
    records.set_exchange_identity(
        interconnection(document.agency), document, edxml_document_id=fields["edxml_document_id"],
        issuer_code=fields["issuer_code"], action="exchange.reconciled",
        detail={"edxml_document_id": fields["edxml_document_id"], "from": fields["issuer_code"],
                "attachments": len(package.attachments)})
