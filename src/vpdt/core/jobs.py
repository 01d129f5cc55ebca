"""Core's periodic job: anchor the audit log's chain head (vpdt.core.audit.anchor)."""

from django.conf import settings

from vpdt.core import audit, tasks


@tasks.job("audit.anchor", every=settings.VPDT_AUDIT_ANCHOR_SECONDS)
def anchor_audit_log() -> None:
    audit.anchor()
