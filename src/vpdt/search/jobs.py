"""The search's background jobs (vpdt.core.tasks): the text of files, one file per run.

`search.text` handles one due FileText per run and returns 1, so a backlog drains at once; a
new attachment or draft version wakes it when its transaction commits (services.queue_text).
The FileText row, not the queue message, is the durable record.

`search.backfill` (hourly) looks through every file for one without its FileText row (bulk SQL,
files from before the search existed); the text job itself looks only past the newest file that
has one, which costs the same with a thousand files or ten million.
"""

from vpdt.core import tasks
from vpdt.search import services


@tasks.job(services.JOB, every=30)
def extract_text() -> int:
    return services.extract_next()


@tasks.job("search.backfill", every=3600)
def backfill_text() -> int:
    return services.sweep()
