"""The hub's PostgreSQL backend (ENGINE "vpdt.hub.postgresql"): Django's, with a health check
that a busy hub does not pay on every request (see `base.DatabaseWrapper`)."""
