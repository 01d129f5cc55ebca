"""Secrets and private keys of the exchange, encrypted at rest (see vpdt.core.sealed).

A copied database alone does not reveal an agency's hub secret or signing key.
"""

from vpdt.core.sealed import PREFIX, Sealer, register

_sealer = Sealer(salt=b"vpdt.exchange", info=b"exchange secrets")
register("exchange.HubConnection", "secret_encrypted", _sealer, text=True)
encrypt = _sealer.encrypt
decrypt = _sealer.decrypt
decrypt_bytes = _sealer.decrypt_bytes

__all__ = ["PREFIX", "decrypt", "decrypt_bytes", "encrypt"]
