"""Background job of the archive: the 30-day alert before a dossier's transfer is due
(vpdt.core.tasks). Idempotent (the notifications carry a key), so running it every hour only
makes the alert arrive the morning its day comes."""

from vpdt.archive.services import alerts
from vpdt.core import tasks

ALERTS_EVERY_SECONDS = 3600


@tasks.job("archive.transfer_alerts", every=ALERTS_EVERY_SECONDS)
def transfer_alerts() -> int:
    alerts.send_transfer_alerts()
    # Always 0: the run handles every due dossier at once; a positive count would rerun it in a loop.
    return 0
