"""Errors of the exchange: a stable code, a message for the clerk, detail for the integrator."""

from vpdt.core.errors import InvalidInput, InvalidState, VpdtError


class SecretDocument(InvalidState):
    """Secret documents never travel over the interconnection (DOMAIN.md)."""

    code = "EXCHANGE_SECRET_DOCUMENT"


class PackageWriteFailed(VpdtError):
    code = "EXCHANGE_PACKAGE_WRITE_FAILED"
    http_status = 500


class NoInterconnectedRecipient(InvalidInput):
    code = "EXCHANGE_NO_RECIPIENT"


class NotElectronic(InvalidState):
    code = "EXCHANGE_NOT_ELECTRONIC"
