"""The signing app's part in records' operations (records.seams), registered in SigningConfig.ready.

- the sealer: records.services.issue_number calls `prepare` outside any transaction (number
  and date filled into the PDF, the agency's signature), `record` in its numbering transaction
  (the signed file becomes the document's) and `after_commit` (verification of what was signed).
- the registration gate: records.services.register_incoming refuses an incoming document
  whose received signatures fail, unless the clerk overrides with a reason.
"""

from __future__ import annotations


class AgencySealer:
    def prepare(self, actor, document, *, code: str, issued, pin: str | None = None):
        from vpdt.signing import services

        return services.sign_as_agency(actor, document, code=code, issued=issued, pin=pin)

    def record(self, actor, document, prepared):
        from vpdt.signing import services

        return services.record_agency_signature(actor, document, prepared)

    def after_commit(self, prepared) -> None:
        from vpdt.signing import services

        services.verify_signed(prepared)

    def carries_number(self, prepared) -> bool:
        return prepared is not None and prepared.blob is not None  # a PDF was filled or sealed


class SignatureGate:
    def check(self, document) -> tuple[bool, str]:
        from vpdt.signing import services

        return services.can_register(document)

    def record_override(self, actor, document, reason: str) -> None:
        from vpdt.signing import services

        services.record_override(actor, document, reason)


class RegisterBookSealer:
    def seal(self, actor, agency, src, dst, *, label: str, pin: str | None = None) -> str:
        from vpdt.signing import services

        return services.seal_register_book(actor, agency, src, dst, label=label, pin=pin)
