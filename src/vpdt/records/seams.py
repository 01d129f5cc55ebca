"""The documented seams where apps above records plug into its services.

records must not import the apps built on it (exchange, signing), yet some of their work
is part of a records operation and must not be skippable by calling records directly.
Each seam is a small interface that the other app registers once, in its
`AppConfig.ready()`; the records service calls it inside its own transaction:

- **deliverer** (registered by `vpdt.exchange`): `records.services.release` calls
  `deliver(actor, document, recipients)` after the document became RELEASED, in the same
  transaction; the exchange writes one edXML package and one outbox message per agency
  recipient (`exchange.outbox.queue_release`). If it raises (a secret document, a package
  that cannot be written), the release rolls back.
- **sealer** (registered by `vpdt.signing`): `records.services.issue_number` seals in two
  phases so that no lock is held while a token, a remote signer or a timestamp server works:
  `prepare(actor, document, code=, issued=, pin=)` outside any transaction, with the number
  the register will give next, fills number and date into the PDF and signs it (stored as
  blobs); `record(actor, locked_document, prepared)` inside the numbering transaction makes
  the signed file the document's (refusing if the draft changed meanwhile);
  `after_commit(prepared)` verifies what was signed. A failed seal (wrong PIN) uses no number.
  `carries_number(prepared)` says whether the prepared file shows the planned number (a
  .docx draft, or nothing to seal, does not): only then must the number taken be that one.
- **registration gate** (registered by `vpdt.signing`): `records.services.register_incoming`
  asks `check(document) -> (ok, why)` before vào sổ; a failing document (its received
  signature is modified, invalid, revoked, expired) is refused unless the clerk gives an
  override reason, which `record_override(actor, document, reason)` writes to the audit log.
- **book sealer** (registered by `vpdt.signing`): `records.registers.close_register` asks
  `seal(actor, agency, src, dst, label=, pin=)` outside any transaction to sign the closed
  register's PDF (`src`, a file) into `dst` with the agency's seal; it returns the signer's
  certificate subject. Without it a register cannot be closed (the closed register is a
  signed PDF).

With an app left out of the deployment its seam stays empty and the operation simply
does without it (no delivery over the interconnection, no digital seal, no gate).
"""

from __future__ import annotations

from typing import Any, Protocol


class Deliverer(Protocol):
    def deliver(self, actor, document, recipients: list) -> Any: ...


class Sealer(Protocol):
    def prepare(self, actor, document, *, code: str, issued, pin: str | None = None) -> Any: ...

    def record(self, actor, document, prepared) -> Any: ...

    def after_commit(self, prepared) -> None: ...

    def carries_number(self, prepared) -> bool: ...


class BookSealer(Protocol):
    def seal(self, actor, agency, src, dst, *, label: str, pin: str | None = None) -> str: ...


class RegistrationGate(Protocol):
    def check(self, document) -> tuple[bool, str]: ...

    def record_override(self, actor, document, reason: str) -> Any: ...


_registered: dict[str, Any] = {}


def register_deliverer(deliverer: Deliverer) -> None:
    _registered["deliverer"] = deliverer


def register_sealer(sealer: Sealer) -> None:
    _registered["sealer"] = sealer


def register_registration_gate(gate: RegistrationGate) -> None:
    _registered["gate"] = gate


def register_book_sealer(sealer: BookSealer) -> None:
    _registered["book_sealer"] = sealer


def deliverer() -> Deliverer | None:
    return _registered.get("deliverer")


def sealer() -> Sealer | None:
    return _registered.get("sealer")


def registration_gate() -> RegistrationGate | None:
    return _registered.get("gate")


def book_sealer() -> BookSealer | None:
    return _registered.get("book_sealer")
