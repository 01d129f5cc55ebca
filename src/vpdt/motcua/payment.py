"""Fees: recorded as paid at the counter, or paid online through a payment adapter.

`PaymentAdapter` is what an online payment service (the national portal's payment platform, a
bank) does for vpdt: start a payment (an address to send the citizen to and a reference) and
confirm it (was the reference paid, how much). `FilePayments` is the file-based one (a folder
where a payment is confirmed by writing `<reference>.paid`), for tests and the demo.
`record_paid` writes the FeePayment (once per provider reference) and the dossier's paid time.
"""

from __future__ import annotations

import abc
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from vpdt.core.errors import InvalidInput, InvalidState, PermissionDenied
from vpdt.directory.roles import Role
from vpdt.motcua.models import Dossier, FeePayment
from vpdt.motcua.services.counter import event as record_event


@dataclass(frozen=True)
class Started:
    reference: str
    pay_url: str


class PaymentAdapter(abc.ABC):
    name = "payment"

    @abc.abstractmethod
    def start(self, dossier: Dossier, amount: int) -> Started:
        """Open a payment of `amount` đồng for the dossier."""

    @abc.abstractmethod
    def paid_amount(self, reference: str) -> int | None:
        """The amount paid under `reference`, None while unpaid."""


class FilePayments(PaymentAdapter):
    name = "file"

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def start(self, dossier: Dossier, amount: int) -> Started:
        reference = f"{dossier.code}-{secrets.token_hex(4)}"
        (self.root / f"{reference}.open").write_text(str(amount), encoding="ascii")
        return Started(reference=reference, pay_url=f"file://{self.root / reference}")

    def paid_amount(self, reference: str) -> int | None:
        path = self.root / f"{Path(reference).name}.paid"
        return int(path.read_text(encoding="ascii").strip()) if path.exists() else None


def record_paid(user, dossier: Dossier, amount: int, *, method: str = FeePayment.Method.COUNTER, provider: str = "",
                reference: str = "") -> FeePayment:
    """The fee is paid: at the counter (its officer records it) or online (the adapter confirmed)."""
    if method == FeePayment.Method.COUNTER and not (user and user.has_role(Role.COUNTER, dossier.agency)):
        raise PermissionDenied("Chỉ công chức tiếp nhận một cửa ghi nhận phí nộp tại quầy.", code="MOTCUA_NOT_COUNTER")
    if amount <= 0:
        raise InvalidInput("Số tiền phải lớn hơn 0.", code="MOTCUA_BAD_AMOUNT")
    with transaction.atomic():
        d = Dossier.objects.select_for_update().get(pk=dossier.pk)
        try:
            with transaction.atomic():
                payment = FeePayment.objects.create(dossier=d, amount=amount, method=method, provider=provider[:60],
                                                    reference=reference[:120], paid_at=timezone.now(),
                                                    recorded_by=user if getattr(user, "pk", None) else None)
        except IntegrityError as exc:
            raise InvalidState("Giao dịch này đã được ghi nhận.", code="MOTCUA_PAYMENT_RECORDED",
                               detail=reference) from exc
        d.fee_paid_at = payment.paid_at
        d.save(update_fields=["fee_paid_at", "updated_at"])
        record_event(d, "fee_paid", user, before=d.status, detail={"amount": amount, "method": method,
                                                                  "provider": provider, "reference": reference})
    return payment


def confirm_online(adapter: PaymentAdapter, dossier: Dossier, reference: str) -> FeePayment | None:
    """Ask the adapter whether `reference` was paid; record it once when it was."""
    found = FeePayment.objects.filter(provider=adapter.name, reference=reference).first()
    if found is not None:
        return found
    amount = adapter.paid_amount(reference)
    if amount is None:
        return None
    from vpdt.records.actors import interconnection

    return record_paid(interconnection(dossier.agency), dossier, amount, method=FeePayment.Method.ONLINE,
                       provider=adapter.name, reference=reference)
