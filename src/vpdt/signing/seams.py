"""The signing app's part in records' operations (records.seams), registered in SigningConfig.ready.

- the sealer: records.services.issue_number calls `seal` in its transaction, after the
  number is taken: number and date filled into the signed PDF, the agency's signature.
- the registration gate: records.services.register_incoming refuses an incoming document
  whose received signatures fail, unless the clerk overrides with a reason.
"""

from __future__ import annotations


class AgencySealer:
    def seal(self, actor, document, *, pin: str | None = None):
        from vpdt.signing import services

        return services.sign_as_agency(actor, document, pin=pin)


class SignatureGate:
    def check(self, document) -> tuple[bool, str]:
        from vpdt.signing import services

        return services.can_register(document)

    def record_override(self, actor, document, reason: str) -> None:
        from vpdt.signing import services

        services.record_override(actor, document, reason)
