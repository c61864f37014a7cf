"""A bounded load generator on loopback, and a way to serve Rangkul for it."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not come up")


@contextmanager
def serve(
    mode: str, *, workers: int | None = None, threads: int | None = None, env: dict[str, str] | None = None
) -> Iterator[int]:
    """Serve Rangkul on 127.0.0.1 and yield the port.

    ``gunicorn``: separate worker processes, as in production: each keeps its database
    connections open between requests (production's ``RANGKUL_DB_CONN_MAX_AGE``, 60 s), and
    ``RANGKUL_BENCH_WORKERS`` × ``RANGKUL_BENCH_THREADS`` (default 4 × 4) serve. ``thread``:
    Django's threaded test server in this process (sees an in-memory test database).
    """
    workers = workers or int(os.environ.get("RANGKUL_BENCH_WORKERS", "4"))
    threads = threads or int(os.environ.get("RANGKUL_BENCH_THREADS", "4"))
    if mode == "thread":
        from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
        from django.core.wsgi import get_wsgi_application

        class Quiet(WSGIRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=True)
        server.set_app(get_wsgi_application())
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield int(server.server_address[1])
        finally:
            server.shutdown()
            server.server_close()
        return
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--log-level",
        "warning",
    ]
    server_env = {"RANGKUL_DB_CONN_MAX_AGE": "60", **os.environ, **(env or {})}
    process = subprocess.Popen(command, cwd=ROOT, env=server_env)  # noqa: S603
    try:
        _wait_until_up(port)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    elapsed: float = 0.0
    failures: list[str] = field(default_factory=list)  # the first few non-2xx bodies, to explain them

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


Request = tuple[str, str, bytes | None, dict[str, str]]


def run_load(
    port: int,
    make_request: Callable[[int], Request],
    *,
    total: int,
    concurrency: int = 8,
    max_seconds: float = 30.0,
) -> LoadResult:
    """Closed-loop load: ``concurrency`` clients send ``total`` requests, stopping early at ``max_seconds``."""
    result = LoadResult()
    lock = threading.Lock()
    counter = iter(range(total))
    deadline = time.monotonic() + max_seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < deadline:
            with lock:
                index = next(counter, None)
            if index is None:
                break
            method, path, body, headers = make_request(index)
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                content = response.read()
                status = response.status
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                with lock:
                    result.errors += 1
                continue
            latency = time.perf_counter() - start
            with lock:
                result.latencies.append(latency)
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if status >= 300 and len(result.failures) < 5:
                    result.failures.append(f"{status} {content[:300].decode(errors='replace')}")
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - started
    return result


def json_request(method: str, path: str, payload: Any, headers: dict[str, str] | None = None) -> Request:
    return method, path, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})}
