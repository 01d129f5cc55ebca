"""The VXP client's HTTP transport: httpx's interface over the standard library's `http.client`.

`VxpClient` builds httpx requests and reads httpx responses; this transport carries them over
kept-alive `http.client` connections. httpx's own transport (httpcore and h11, pure Python) was
most of a VXP call's CPU in the client. Measured on one `updateStatus` against a local server in
another process: 0.49 ms of the client's CPU through httpx's transport, 0.28–0.33 ms through this
one, the same httpx request and response objects in both (docs/BENCHMARKS.md); an exchange makes
six or seven requests.

What it keeps of httpx's transport:
- a pool of kept-alive connections per host, shared by threads, a connection idle longer
  than `keepalive_seconds` (httpx's 5 s) or closed by the server (its socket readable while
  idle) is not used again;
- bodies streamed both ways: an upload sent as its iterator yields (chunked when the request
  has no Content-Length), an answer read in pieces as the caller iterates;
- httpx's timeouts (connect, read, write) and its exceptions (`httpx.ConnectError`,
  `httpx.ReadTimeout`, `httpx.RemoteProtocolError` ... all `httpx.TransportError`), which
  the exchange retries;
- TLS verified as httpx verifies it (`httpx.create_ssl_context()`: its CA bundle, or
  SSL_CERT_FILE), the context built once, on the first https request.

Proxies are not its business: `VxpClient` sends through httpx.Client when the environment
names one.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import httpx

READ_CHUNK = 64 * 1024
KEEPALIVE_SECONDS = 5.0  # httpx's keepalive_expiry
MAX_IDLE = 20  # kept-alive connections per host (httpx keeps 20 in all)


def _readable(sock) -> bool:
    """An idle kept-alive socket with something to read: the server closed it (or broke the
    protocol); either way it must not carry another request."""
    poller = select.poll()
    poller.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


class _Answer(httpx.SyncByteStream):
    """An answer's body, read as the caller iterates; its connection goes back to the pool
    once the body was read to its end, and is closed otherwise."""

    def __init__(self, transport: StdlibTransport, key: tuple, conn: http.client.HTTPConnection,
                 response: http.client.HTTPResponse, request: httpx.Request):
        self._transport, self._key, self._conn = transport, key, conn
        self._response, self._request = response, request

    def __iter__(self) -> Iterator[bytes]:
        # read(n), not read1(n): it marks the answer complete when its last byte is read, which
        # lets the connection be used again.
        read = self._response.read
        while True:
            with _mapped(self._request, httpx.ReadTimeout, httpx.ReadError):
                chunk = read(READ_CHUNK)
            if not chunk:
                return
            yield chunk

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        response = self._response
        if response.isclosed() and not response.will_close:
            self._transport._release(self._key, conn)
        else:
            response.close()
            conn.close()


class _mapped:
    """The standard library's network errors raised as httpx's, the request named."""

    def __init__(self, request: httpx.Request, timeout: type[httpx.TimeoutException],
                 other: type[httpx.TransportError]):
        self.request, self.timeout, self.other = request, timeout, other

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None:
            return False
        if isinstance(exc, TimeoutError):  # socket.timeout is TimeoutError
            raise self.timeout(str(exc) or "timed out", request=self.request) from exc
        if isinstance(exc, http.client.HTTPException):
            raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__, request=self.request) from exc
        if isinstance(exc, OSError):
            raise self.other(str(exc) or type(exc).__name__, request=self.request) from exc
        return False


class StdlibTransport(httpx.BaseTransport):
    """`httpx.BaseTransport` over `http.client`: see the module's docstring."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None, keepalive_seconds: float = KEEPALIVE_SECONDS):
        self._ssl_context = ssl_context
        self._keepalive = keepalive_seconds
        self._idle: dict[tuple, list[tuple[float, http.client.HTTPConnection]]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the pool
    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            context = httpx.create_ssl_context()
            with self._lock:
                if self._ssl_context is None:
                    self._ssl_context = context
        return self._ssl_context

    def _idle_connection(self, key: tuple) -> http.client.HTTPConnection | None:
        now = time.monotonic()
        while True:
            with self._lock:
                idle = self._idle.get(key)
                if not idle:
                    return None
                since, conn = idle.pop()
            if now - since <= self._keepalive and conn.sock is not None and not _readable(conn.sock):
                return conn
            conn.close()

    def _release(self, key: tuple, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < MAX_IDLE:
                idle.append((time.monotonic(), conn))
                return
        conn.close()

    def _connect(self, key: tuple, request: httpx.Request, timeouts: dict) -> http.client.HTTPConnection:
        scheme, host, port = key
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=timeouts.get("connect"), context=self._context())
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeouts.get("connect"))
        # A certificate not trusted, a TLS failure (ssl.SSLError, an OSError): ConnectError, as httpx says it.
        with _mapped(request, httpx.ConnectTimeout, httpx.ConnectError):
            try:
                conn.connect()
            except BaseException:
                conn.close()
                raise
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for _, conn in connections:
                conn.close()

    # ------------------------------------------------------------------ one request
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"Request URL has an unsupported protocol '{url.scheme}://'.",
                                            request=request)
        key = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        timeouts = request.extensions.get("timeout") or {}
        conn = self._idle_connection(key) or self._connect(key, request, timeouts)
        try:
            conn.sock.settimeout(timeouts.get("write"))
            chunked = False
            conn.putrequest(request.method, url.raw_path.decode("ascii"), skip_host=True, skip_accept_encoding=True)
            for name, value in request.headers.raw:
                if name.lower() == b"transfer-encoding" and value.lower() == b"chunked":
                    chunked = True
                conn.putheader(name, value)
            stream = request.stream
            body = b"".join(stream) if isinstance(stream, httpx.ByteStream) else stream
            with _mapped(request, httpx.WriteTimeout, httpx.WriteError):
                conn.endheaders(body if body != b"" else None, encode_chunked=chunked)
            conn.sock.settimeout(timeouts.get("read"))
            with _mapped(request, httpx.ReadTimeout, httpx.ReadError):
                response = conn.getresponse()
        except BaseException:
            conn.close()
            raise
        return httpx.Response(response.status, headers=response.getheaders(),
                              stream=_Answer(self, key, conn, response, request),
                              extensions={"http_version": b"HTTP/1.1",
                                          "reason_phrase": response.reason.encode("ascii", "replace")})
