"""Raw-SQL indexes of workflow_assignment (migration 0002, put back after migrate by apps.py).

The "Theo dõi" queue (queues.following): per person or unit, the assignments open or
finished in the last 30 days, as document ids. These indexes answer each lookup alone
(PostgreSQL index-only scan, SQLite covering index): a director who assigned 48,000
documents reads 8,000 index entries, not 6,000 table pages (BENCHMARKS.md).
"""

TABLE = "workflow_assignment"
FOLLOW_INDEXES = [
    ("asg_follow_by", "assigned_by_id, state, done_at, document_id"),
    ("asg_follow_user", "user_id, state, done_at, document_id"),
    ("asg_follow_unit", "unit_id, state, done_at, document_id"),
]
