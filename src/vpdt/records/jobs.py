"""Background jobs of records (vpdt.core.tasks): the PDF renditions of .docx/.odt drafts.

`records.convert` converts one waiting rendition per run and returns 1, so a backlog drains
at once; a new draft version wakes it when its transaction commits (records.renditions.queue).
The Rendition row, not the queue message, is the durable record: a killed worker's lease runs
out and the row is converted again.
"""

from vpdt.core import tasks
from vpdt.records import renditions


@tasks.job(renditions.JOB, every=30)
def convert() -> int:
    return renditions.convert_next()
