"""Background jobs of signing (vpdt.core.tasks): make stored keys' ready forms.

`signing.ready_keys` (at a worker's start, then hourly) opens every key the server may use
alone that has no ready form yet (vpdt.signing.stored_keys), so that no person's request pays
cryptography's RSA check (~50 ms of CPU) at its first signature or release. A key that does not
open is logged and left alone: its owner sees the error when signing, as before.
"""

import logging

from vpdt.core import tasks

log = logging.getLogger(__name__)


@tasks.job("signing.ready_keys", every=3600)
def ready_keys() -> int:
    from vpdt.signing import stored_keys
    from vpdt.signing.errors import SigningError

    made = 0
    for record in stored_keys.server_usable().filter(ready_encrypted=b"").select_related("agency", "user__agency"):
        try:
            stored_keys.open_software(record)
        except SigningError as exc:
            log.warning("signing key %s could not be opened: %s", record.pk, exc.code)
            continue
        made += 1
    return made
