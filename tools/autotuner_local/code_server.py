"""Where GetFunction's Code.Location points in the emulator: a loopback HTTP server serving each package moto holds
under a one-off token, as Lambda's presigned S3 URL serves it (moto answers a URL nothing serves).

The tuner downloads a function's code from there to read its native binaries and to upload it again for another
architecture (see adapters/function_code.py); the bytes served are the version's own, so their SHA-256 is the
CodeSha256 GetFunction reported."""

import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PACKAGES_KEPT = 64  # a location is used within minutes; older ones expire, as a presigned URL does


class CodeServer:
    """Packages by token; ``offer`` returns the URL of one."""

    def __init__(self) -> None:
        self._packages: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.port = 0

    def offer(self, package: bytes) -> str:
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._packages[token] = package
            while len(self._packages) > PACKAGES_KEPT:
                self._packages.popitem(last=False)
        return f"http://127.0.0.1:{self.port}/code/{token}"

    def package(self, token: str) -> bytes | None:
        with self._lock:
            return self._packages.get(token)


@contextmanager
def serving() -> Iterator[CodeServer]:
    """A code server on a free loopback port, stopped on exit."""
    server = CodeServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            package = server.package(self.path.removeprefix("/code/"))
            if package is None:
                self.send_error(403, "Request has expired")  # as S3 answers an expired presigned URL
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(len(package)))
            self.end_headers()
            self.wfile.write(package)

        def log_message(self, *_: object) -> None:  # the emulator's requests are not a log worth keeping
            return

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.port = http.server_address[1]
    thread = threading.Thread(target=http.serve_forever, name="autotuner-code-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        http.shutdown()
        http.server_close()
        thread.join(timeout=5)
