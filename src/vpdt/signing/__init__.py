"""Digital signatures on PDF documents (NĐ 30/2020, Phụ lục I).

Plain modules usable without Django: `pdf` signs and verifies PAdES signatures,
`keys` turns software keys, PKCS#11 tokens and remote signing services into signers,
`pki` makes the demo CA, `layout` computes where Decree 30 puts each signature,
`images` draws the demo signature and seal images, `samples` makes sample documents.
"""

from __future__ import annotations

import importlib

# Where each public name lives. They are imported on first use (PEP 562), not here: pyHanko
# costs most of a second to import, and every `vpdt` command (a hub, `vpdt edxml`) imports
# this package to build its argument parser without ever signing anything.
_HOMES = {
    "SigningError": "errors",
    **dict.fromkeys(["Pkcs11Key", "RemoteSigner", "Signer", "SoftwareKey", "decrypt_pkcs12", "encrypt_pkcs12"],
                    "keys"),
    **dict.fromkeys(["MESSAGES_VI", "SignatureReport", "overall", "sign_as_agency", "sign_as_signer",
                     "sign_attachment", "sign_pdf", "signature_fields", "verify_pdf"], "pdf"),
}


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "MESSAGES_VI",
    "Pkcs11Key",
    "RemoteSigner",
    "SignatureReport",
    "Signer",
    "SigningError",
    "SoftwareKey",
    "decrypt_pkcs12",
    "encrypt_pkcs12",
    "overall",
    "sign_as_agency",
    "sign_as_signer",
    "sign_attachment",
    "sign_pdf",
    "signature_fields",
    "verify_pdf",
]
