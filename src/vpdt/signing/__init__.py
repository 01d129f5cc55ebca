"""Digital signatures on PDF documents (NĐ 30/2020, Phụ lục I).

Plain modules usable without Django: `pdf` signs and verifies PAdES signatures,
`keys` turns software keys, PKCS#11 tokens and remote signing services into signers,
`pki` makes the demo CA, `layout` computes where Decree 30 puts each signature,
`images` draws the demo signature and seal images, `samples` makes sample documents.
"""

from .errors import SigningError
from .keys import Pkcs11Key, RemoteSigner, Signer, SoftwareKey, decrypt_pkcs12, encrypt_pkcs12
from .pdf import (
    MESSAGES_VI,
    SignatureReport,
    overall,
    sign_as_agency,
    sign_as_signer,
    sign_attachment,
    sign_pdf,
    signature_fields,
    verify_pdf,
)

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
