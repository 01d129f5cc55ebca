"""The search's background job (vpdt.core.tasks): the text of files, one file per run.

`search.text` handles one due FileText per run and returns 1, so a backlog drains at once; a
new attachment or draft version wakes it when its transaction commits (services.queue_text).
The FileText row, not the queue message, is the durable record.
"""

from vpdt.core import tasks
from vpdt.search import services


@tasks.job(services.JOB, every=30)
def extract_text() -> int:
    return services.extract_next()
