"""A local HTTP server for tests that does not print a traceback when a client drops its
connection on purpose (a test of timeouts, of a connection closed under a keep-alive): those
are what the test checks, not errors, and their tracebacks only hid real ones in the CI log."""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer


class QuietHTTPServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)
