"""Django's database sessions, loaded by a prepared read (`vpdt.core.prepared`): every signed-in
request loads its session first, and the ORM wrote that one statement out again each time.

A session signed in under Django's own password backend (before vpdt.directory.accounts'
PasswordBackend replaced it in AUTHENTICATION_BACKENDS) is read as signed in under the new one,
so nobody is signed out by the change."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from vpdt.core.prepared import Read

_LOAD = Read(lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now)[:1],
             key=str, now=dt.datetime)
_LEGACY = "django.contrib.auth.backends.ModelBackend"
_CURRENT = "vpdt.directory.accounts.PasswordBackend"


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        found = _LOAD.instance(key=self.session_key, now=timezone.now()) if self.session_key else None
        if found is None:
            self._session_key = None
        return found

    def load(self):
        data = super().load()
        if (data.get(BACKEND_SESSION_KEY) == _LEGACY and _LEGACY not in settings.AUTHENTICATION_BACKENDS
                and _CURRENT in settings.AUTHENTICATION_BACKENDS):
            data[BACKEND_SESSION_KEY] = _CURRENT
        return data
