"""Background job of the reports: the daily facts follow the records (vpdt.core.tasks)."""

from vpdt.core import tasks
from vpdt.reports import facts

FACTS_EVERY_SECONDS = 600


@tasks.job("reports.facts", every=FACTS_EVERY_SECONDS)
def refresh_facts() -> int:
    facts.refresh()
    # Always 0: the days found are rebuilt in this run, and the watermark's overlap would find
    # them again at once, so a positive count would run the job in a loop.
    return 0
