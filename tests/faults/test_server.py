"""The real server (`mnistgan serve`, a uvicorn subprocess) under load, slow clients and dropped connections.

It serves the bundled models only (no training needed). Memory is the server process's
resident set (VmRSS in /proc/PID/status), read before, after a warm-up and after the load;
`pytest -s` prints the figures.
"""

from __future__ import annotations

import json
import random
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from mnistgan import registry
from tests.serve.serving import LiveServer

BUNDLED = sorted(r.id for r in registry.all_models() if r.bundled)
CONDITIONAL = {r.id for r in registry.all_models() if r.bundled and r.name in ("cdcgan", "hinge-sn")}
THREADS = 8
WARM_UP, LOAD = 200, 400
# After the warm-up; generous: the allocator keeps what it has used, and oneDNN's kernel cache (bounded by
# `mnistgan serve`) fills with the request sizes the warm-up did not ask for.
RSS_GROWTH_LIMIT_MB = 150


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("server-faults")
    with LiveServer(root / "home", root / "votes.sqlite") as s:
        yield s
    assert "Traceback" not in s.log.read_text(), s.log.read_text()[-3000:]


def proc_status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":", 1) for line in lines if ":" in line)


def rss_mb(pid: int) -> float:
    return int(proc_status(pid)["VmRSS"].split()[0]) / 1024  # kB


def open_fds(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


# ----------------------------------------------------------------- load


def request_mix(n: int, seed: int) -> list[tuple[str, str, dict | None, set[int]]]:
    """n requests (method, path, JSON body, acceptable statuses): mostly generation, some look-ups, some bad input."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.6:
            model = rng.choice(BUNDLED)
            body = {"model": model, "num": rng.randint(1, 64), "seed": rng.randrange(10**6),
                    "format": rng.choice(["png", "npz", "json"])}
            if model in CONDITIONAL and rng.random() < 0.5:
                body["digits"] = rng.randrange(10)
            out.append(("POST", "/v1/generate", body, {200}))
        elif roll < 0.75:
            out.append(("GET", "/v1/models", None, {200}))
        elif roll < 0.8:
            out.append(("GET", f"/v1/models/{rng.choice(BUNDLED)}", None, {200}))
        elif roll < 0.85:
            out.append(("GET", "/healthz", None, {200}))
        else:
            body, status = rng.choice([({"model": "../../etc/passwd"}, 422), ({"model": "nope"}, 404),
                                       ({"model": BUNDLED[0], "num": 10**9}, 422), ({"num": "many"}, 422),
                                       ({"model": BUNDLED[0], "digits": [1] * 40_000}, 413)])
            out.append(("POST", "/v1/generate", body, {status}))
    return out


def every_model_at_its_largest() -> list[tuple[str, str, dict | None, set[int]]]:
    """Each bundled model at the largest random size in every format: the warm-up's floor, so the load measures
    growth past every model's working set (reached only slowly by a random mix over seven models)."""
    return [("POST", "/v1/generate", {"model": model, "num": 64, "seed": 0, "format": fmt}, {200})
            for model in BUNDLED for fmt in ("png", "npz", "json")]


def send_all(url: str, requests: list) -> tuple[int, list[str]]:
    """Run `requests` from THREADS clients at once; (how many got an acceptable answer, the errors)."""
    chunks = [requests[i::THREADS] for i in range(THREADS)]

    def worker(chunk):
        ok, errors = 0, []
        with httpx.Client(base_url=url, timeout=120) as c:
            for method, path, body, statuses in chunk:
                try:
                    r = c.request(method, path, json=body)
                except httpx.HTTPError as e:
                    errors.append(f"{method} {path}: {type(e).__name__}: {e}")
                    continue
                if r.status_code in statuses and (r.status_code == 200 or r.json()["detail"]):
                    ok += 1
                else:
                    errors.append(f"{method} {path} {json.dumps(body)[:80]}: {r.status_code} {r.text[:200]}")
        return ok, errors

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, chunks))
    return sum(ok for ok, _ in results), [e for _, errors in results for e in errors]


def test_bounded_concurrent_load_no_errors_bounded_memory(server):
    pid = server.proc.pid
    rss_start = rss_mb(pid)
    warm_up = every_model_at_its_largest() + request_mix(WARM_UP, seed=1)
    served, errors = send_all(server.url, warm_up)
    assert errors == [] and served == len(warm_up)
    rss_warm = rss_mb(pid)
    start = time.perf_counter()
    served, errors = send_all(server.url, request_mix(LOAD // 2, seed=2))
    rss_half = rss_mb(pid)
    more, more_errors = send_all(server.url, request_mix(LOAD // 2, seed=3))
    served, errors = served + more, errors + more_errors
    seconds = time.perf_counter() - start
    rss_end, threads = rss_mb(pid), int(proc_status(pid)["Threads"])
    print(f"\nload: {served}/{LOAD} requests answered as expected from {THREADS} clients in {seconds:.1f}s, "
          f"{len(errors)} errors; server RSS {rss_start:.0f} MB at start, {rss_warm:.0f} MB after a "
          f"{len(warm_up)}-request warm-up, {rss_half:.0f} MB half-way, {rss_end:.0f} MB after the load "
          f"({rss_end - rss_warm:+.0f} MB); {threads} threads")
    assert errors == [], errors[:5]
    assert served == LOAD
    assert rss_end - rss_warm < RSS_GROWTH_LIMIT_MB
    assert threads < 100
    assert server.proc.poll() is None


# ----------------------------------------------------------------- slow and vanishing clients


def raw_connection(server, rcvbuf: int | None = None) -> socket.socket:
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(10)
    s.connect(("127.0.0.1", server.port))
    return s


def http_request(body: dict, length: int | None = None) -> tuple[bytes, bytes]:
    payload = json.dumps(body).encode()
    head = (f"POST /v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length if length is not None else len(payload)}\r\n\r\n").encode()
    return head, payload


def rst_close(s: socket.socket) -> None:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset, not a FIN
    s.close()


class Dribbler(threading.Thread):
    """Sends one more byte on each slow connection every half second until stopped (slowloris):
    a header line that never ends, or a body that never reaches its Content-Length."""

    def __init__(self, sockets):
        super().__init__(daemon=True)
        self.sockets, self.stop, self.dropped = list(sockets), threading.Event(), 0

    def run(self):
        while not self.stop.wait(0.5):
            for s in list(self.sockets):
                try:
                    s.send(b"x")
                except OSError:  # the server hung up on it: fine too
                    self.sockets.remove(s)
                    self.dropped += 1


def slow_connection(server, first: bytes) -> socket.socket:
    s = raw_connection(server)
    s.sendall(first)
    return s


def test_slow_and_stalled_clients_do_not_stop_the_others(server):
    pid = server.proc.pid
    fds_before = open_fds(pid)
    slow_headers = [slow_connection(server, b"POST /v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                    for _ in range(10)]
    head, payload = http_request({"model": "cdcgan", "num": 4}, length=10_000)
    slow_bodies = [slow_connection(server, head + payload[:5]) for _ in range(10)]
    idle = [raw_connection(server) for _ in range(10)]
    # Asks for ~3 MB of JSON and never reads it, with a small receive buffer: the server's writes stall.
    head, payload = http_request({"model": "cdcgan", "num": 1024, "format": "json"})
    stalled = [raw_connection(server, rcvbuf=4096) for _ in range(4)]
    for s in stalled:
        s.sendall(head + payload)
    dribbler = Dribbler(slow_headers + slow_bodies)
    dribbler.start()
    slow = len(slow_headers) + len(slow_bodies) + len(idle) + len(stalled)
    try:
        start = time.perf_counter()
        answered = 0
        with httpx.Client(base_url=server.url, timeout=30) as c:
            for i in range(20):
                r = c.post("/v1/generate", json={"model": "cdcgan", "num": 16, "digits": i % 10, "seed": i})
                assert r.status_code == 200 and r.headers["content-type"] == "image/png"
                assert c.get("/v1/models").status_code == 200
                answered += 2
        seconds = time.perf_counter() - start
        fds_during = open_fds(pid)
    finally:
        dribbler.stop.set()
        dribbler.join()
        for s in slow_headers + slow_bodies + idle + stalled:
            s.close()
    print(f"\nslow clients: {slow} held open ({len(slow_headers)} dribbling headers, {len(slow_bodies)} dribbling a "
          f"body, {len(idle)} silent, {len(stalled)} not reading a 3 MB answer), {dribbler.dropped} dropped by the "
          f"server; meanwhile a normal client got {answered}/{answered} answers in {seconds:.1f}s; "
          f"server fds {fds_before} before, {fds_during} during, {settled_fds(pid, fds_before)} after")
    assert seconds < 30
    assert settled_fds(pid, fds_before) <= fds_before + 2  # every dropped connection was let go
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200


def settled_fds(pid: int, target: int, wait: float = 10) -> int:
    deadline = time.monotonic() + wait
    while (n := open_fds(pid)) > target + 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    return n


DISCONNECTS = {
    "headers, half a body, then FIN": lambda s, head, payload: (s.sendall(head + payload[: len(payload) // 2]), s.close()),
    "headers, half a body, then RST": lambda s, head, payload: (s.sendall(head + payload[: len(payload) // 2]), rst_close(s)),
    "a whole request, gone before the answer (FIN)": lambda s, head, payload: (s.sendall(head + payload), s.close()),
    "a whole request, gone before the answer (RST)": lambda s, head, payload: (s.sendall(head + payload), rst_close(s)),
    "half a request line, then RST": lambda s, head, payload: (s.sendall(head[:10]), rst_close(s)),
    "bytes that are not HTTP": lambda s, head, payload: (s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" * 50), s.close()),
}


def test_clients_that_vanish_mid_request_do_not_break_the_server(server):
    pid = server.proc.pid
    fds_before = open_fds(pid)
    head, payload = http_request({"model": "cdcgan", "num": 256, "format": "json", "seed": 3})
    for _ in range(5):
        for how in DISCONNECTS.values():
            how(raw_connection(server), head, payload)
    with httpx.Client(base_url=server.url, timeout=60) as c:
        for i in range(5):
            r = c.post("/v1/generate", json={"model": "cdcgan", "num": 8, "seed": i, "format": "npz"})
            assert r.status_code == 200 and r.content[:2] == b"PK"
        assert c.get("/healthz").json()["status"] == "ok"
    fds_after = settled_fds(pid, fds_before)
    print(f"\nvanishing clients: {5 * len(DISCONNECTS)} connections dropped mid-request "
          f"({len(DISCONNECTS)} ways, 5 each); the server answered the next 6 requests; fds {fds_before} -> {fds_after}")
    assert fds_after <= fds_before + 2
    assert server.proc.poll() is None
