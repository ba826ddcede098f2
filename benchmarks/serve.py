"""Bounded load on the REST API over loopback: N clients posting /v1/generate for T seconds.

    python benchmarks/serve.py --clients 8 --seconds 10             # starts its own `mnistgan serve`
    python benchmarks/serve.py --url http://127.0.0.1:7860 --model hinge-sn

Each client is a thread with its own keep-alive connection that sends the next
request as soon as the last one is answered. Prints requests/s, p50/p99 latency
and the error count (any non-200 answer or transport failure).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "mnistgan", "serve", "--port", str(port), "--workers", str(workers)],
                            env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the server exited: {proc.stderr.read()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.25)
    proc.kill()
    sys.exit("the server did not come up in 120 s")


def pick_model(url: str, wanted: str | None) -> str:
    models = httpx.get(f"{url}/v1/models", timeout=30).json()["models"]
    ids = [m["id"] for m in models if "error" not in m]
    if wanted:
        return wanted
    if not ids:
        sys.exit("no models installed: register one first (see the README)")
    latest = [m["id"] for m in models if m.get("latest") and m["name"] == "hinge-sn"]
    return (latest or ids)[-1]


def run(url: str, body: dict, clients: int, seconds: float) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client() -> None:
        nonlocal errors
        with httpx.Client(base_url=url, timeout=60) as c:
            start.wait()
            while time.perf_counter() < stop_at[0]:
                t0 = time.perf_counter()
                try:
                    ok = c.post("/v1/generate", json=body).status_code == 200
                except httpx.HTTPError:
                    ok = False
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt)
                    errors += not ok

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    stop_at[0] = t0 + seconds
    start.wait()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", help="A running server; default: start `mnistgan serve` on a free loopback port.")
    ap.add_argument("--model", help="Registry name; default: the newest hinge-sn, else the last model listed.")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--num", type=int, default=64, help="Digits per request.")
    ap.add_argument("--format", default="png", choices=["png", "npz", "json"])
    ap.add_argument("--workers", type=int, default=2, help="Server generation threads (when this script starts it).")
    args = ap.parse_args()

    proc, url = (None, args.url.rstrip("/")) if args.url else start_server(args.workers)
    try:
        model = pick_model(url, args.model)
        body = {"model": model, "num": args.num, "format": args.format}
        warm = httpx.post(f"{url}/v1/generate", json=body, timeout=60)  # load the model once
        if warm.status_code != 200:
            sys.exit(f"warm-up request failed: {warm.status_code} {warm.text}")
        latencies, errors, elapsed = run(url, body, args.clients, args.seconds)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=15)
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))] if ms else float("nan")
    print(f"model {model}, {args.num} digits per request as {args.format}, {args.clients} clients for {args.seconds:g} s")
    print(f"requests   {len(ms)}")
    print(f"requests/s {len(ms) / elapsed:.1f}")
    print(f"p50 ms     {statistics.median(ms) if ms else float('nan'):.1f}")
    print(f"p99 ms     {p99:.1f}")
    print(f"errors     {errors}")
    sys.exit(1 if errors or not ms else 0)


if __name__ == "__main__":
    main()
