"""The XmlSigner that signs an agency's packages, from the one key store (vpdt.signing).

Which key signs (the agency's seal when the server can use it alone, else its package key,
generated at first use) is `vpdt.signing.agency_keys`'s choice; this module wraps it for
edXML and keeps one signer per key per process.
"""

from __future__ import annotations

import threading

from vpdt.directory.models import Agency
from vpdt.edxml import XmlSigner
from vpdt.signing import agency_keys

_cache: dict[tuple, XmlSigner] = {}
_lock = threading.Lock()


def signer_for(agency: Agency) -> XmlSigner:
    """The XmlSigner of the agency (cached per process; the key is decrypted once)."""
    identity, key, cert_pem = agency_keys.package_key(agency)
    with _lock:
        signer = _cache.get(identity)
        if signer is None:
            signer = _cache[identity] = XmlSigner(key=key, cert=cert_pem)
    return signer
