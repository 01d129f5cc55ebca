"""No Django models: the index lives in the database (see `schema`). This module exists so
that the app receives `post_migrate` (the SQLite triggers' re-check, apps.py)."""
