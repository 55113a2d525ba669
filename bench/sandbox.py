"""How many requests per second the sandbox sustains, against a minimal stdlib server.

Each server runs alone in a child process; load comes from other processes,
each with a few threads sharing one pooled requests.Session (what a push does).
Two figures per server and workload:

- requests/s: wall-clock throughput under that load (bounded by whichever of
  client and server saturates the shared cores first);
- server CPU per request: the server process's CPU time divided by the requests
  it answered, i.e. what one core can serve (1e6 / µs requests/s), and how busy
  the server was during the run (well under 100% means the load generator, not
  the server, set the pace).

On a 2-core machine the load generator's threads and the server share the
cores; a one-thread event loop then gets a smaller CPU share than a
thread-per-connection server, which the wall-clock ratio reflects.

The baseline is the straightforward server: http.server.ThreadingHTTPServer
doing the same gunzip + JSON parse and answering the same JSON, with no auth,
rules, ledger or rate window. The sandbox runs with the rate limit lifted.

Run: .venv/bin/python bench/sandbox.py [--puts 6000] [--posts 300] [--processes 2] [--threads 4]
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing as mp
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from typing import Any

import requests
from requests.adapters import HTTPAdapter

__all__ = ["main"]

TARGET_PUTS_PER_SECOND = 1000
WARMUP_PER_THREAD = 3


def _order(i: int) -> dict[str, Any]:
    lines = [
        {"productId": str(4556 + k), "skuId": f"sku{k}", "quantity": 1 + k, "unitPrice": 9.99 + k}
        for k in range(3)
    ]
    return {
        "id": f"o{i}",
        "userId": f"u{i % 97}",
        "dateTime": "2022-04-25T12:21:55+09:00",
        "storeId": "S1",
        "currency": "USD",
        "lineItems": lines,
    }


# ---- servers, each in its own child process -------------------------------------------------


def _serve_sandbox(conn: Connection) -> None:
    from omninb.sandbox import Sandbox

    with Sandbox(rate_limit=None) as sb:
        creds = sb.credentials
        form = {
            "grant_type": "client_credentials",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
        }
        token = requests.post(
            sb.url + "/omnichannel/api/v1/oauth2/token", data=form, timeout=10
        ).json()["access_token"]
        conn.send((f"{sb.url}/omnichannel/api/v1/{creds['api_key']}/orders", token))
        _answer_cpu_queries(conn, lambda: int(sb.ledger()["stored"].sum()))


class _Baseline(BaseHTTPRequestHandler):
    """The straightforward server: parse the JSON body, answer a job id."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the pooled Session expects
    disable_nagle_algorithm = (
        True  # without it, delayed ACKs cap it near 200 req/s: not a fair baseline
    )

    def _answer(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        records = json.loads(raw)
        n = len(records) if isinstance(records, list) else 1
        answer = {
            "message": f"Total records = {n}. Success = {n}. Failed = 0",
            "time": int(time.time() * 1000),
            "jobId": str(uuid.uuid4()),
        }
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request access log, as the sandbox does."""


def _serve_baseline(conn: Connection) -> None:
    import threading

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Baseline)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn.send((f"http://127.0.0.1:{server.server_address[1]}/omnichannel/api/v1/k/orders", "none"))
    _answer_cpu_queries(conn, lambda: -1)
    server.shutdown()


def _answer_cpu_queries(conn: Connection, stored: Callable[[], int]) -> None:
    while (command := conn.recv()) != "stop":
        conn.send(time.process_time() if command == "cpu" else stored())
    conn.send(stored())


# ---- load, from separate processes ----------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """One load process's share of a run."""

    url: str
    token: str
    method: str  # "put" or "post"
    count: int
    threads: int


def _worker(load: Load, ready: Any, go: Any) -> tuple[float, float, int]:
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=load.threads))
    session.headers["Authorization"] = "Bearer " + load.token
    send = _sender(session, load)
    with ThreadPoolExecutor(load.threads) as pool:
        list(pool.map(send, range(load.threads * WARMUP_PER_THREAD)))  # open the pooled connections
        ready.release()
        go.wait()
        begin = time.perf_counter()
        codes = list(pool.map(send, range(load.count)))
    return begin, time.perf_counter(), sum(code == 200 for code in codes)


def _sender(session: requests.Session, load: Load) -> Callable[[int], int]:
    if load.method == "put":
        bodies = [json.dumps(_order(i)).encode() for i in range(500)]
        headers = {"Content-Type": "application/json"}
        return lambda i: (
            session.put(
                f"{load.url}/users/u{i % 97}", data=bodies[i % 500], headers=headers
            ).status_code
        )
    batch = gzip.compress(json.dumps([_order(i) for i in range(100)]).encode())
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    return lambda _: session.post(load.url, data=batch, headers=headers).status_code


@dataclass(frozen=True)
class Figure:
    rate: float  # requests/s, wall clock
    cpu_us: float  # server CPU µs per request
    ok: int  # requests answered 200


def _run(
    conn: Connection, url: str, token: str, method: str, total: int, args: argparse.Namespace
) -> Figure:
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager, ProcessPoolExecutor(args.processes, mp_context=ctx) as pool:
        ready, go = manager.Semaphore(0), manager.Event()
        load = Load(url, token, method, total // args.processes, args.threads)
        futures = [pool.submit(_worker, load, ready, go) for _ in range(args.processes)]
        for _ in futures:
            ready.acquire()
        conn.send("cpu")
        cpu_before = conn.recv()
        go.set()
        results = [f.result() for f in futures]
        conn.send("cpu")
        cpu_after = conn.recv()
    ok = sum(r[2] for r in results)
    # Wall time from the first worker's start to the last one's end (perf_counter is system-wide on Linux).
    elapsed = max(r[1] for r in results) - min(r[0] for r in results)
    return Figure(ok / elapsed, (cpu_after - cpu_before) / ok * 1e6, ok)


def _measure(
    serve: Callable[[Connection], None], args: argparse.Namespace
) -> tuple[dict[str, Figure], int]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(child,), daemon=True)
    server.start()
    url, token = parent.recv()
    figures = {
        "put": _run(parent, url, token, "put", args.puts, args),
        "post": _run(parent, url, token, "post", args.posts, args),
    }
    parent.send("stop")
    stored = parent.recv()
    server.join(10)
    return figures, stored


def main(argv: list[str] | None = None) -> None:
    """Measure and print the sandbox's throughput and its ratio to the stdlib baseline.

    Example:
        $ .venv/bin/python bench/sandbox.py --puts 3000 --posts 150

    Raises:
        AssertionError: a request was not answered 200, or the ledger missed records
            (the figures would be meaningless).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--puts", type=int, default=6000, help="single-order PUTs per run")
    parser.add_argument("--posts", type=int, default=300, help="100-order gzip POSTs per run")
    parser.add_argument("--processes", type=int, default=2, help="load-generating processes")
    parser.add_argument(
        "--threads", type=int, default=4, help="threads (pooled connections) per process"
    )
    args = parser.parse_args(argv)
    sandbox, stored = _measure(_serve_sandbox, args)
    baseline, _ = _measure(_serve_baseline, args)
    _check(sandbox, baseline, stored, args)
    _report(sandbox, baseline, args)


def _check(
    sandbox: dict[str, Figure], baseline: dict[str, Figure], stored: int, args: argparse.Namespace
) -> None:
    puts = args.puts // args.processes * args.processes
    posts = args.posts // args.processes * args.processes
    assert sandbox["put"].ok == baseline["put"].ok == puts, "some PUTs were not answered 200"
    assert sandbox["post"].ok == baseline["post"].ok == posts, "some POSTs were not answered 200"
    warmup = args.processes * args.threads * WARMUP_PER_THREAD
    assert stored == puts + warmup + (posts + warmup) * 100, f"the ledger holds {stored} records"


def _busy(figure: Figure) -> float:
    return figure.rate * figure.cpu_us / 1e4


def _report(
    sandbox: dict[str, Figure], baseline: dict[str, Figure], args: argparse.Namespace
) -> None:
    print(
        f"load: {args.processes} processes x {args.threads} threads, pooled requests.Session; {mp.cpu_count()} cores shared"
    )
    print(f"{'':34}{'sandbox':>12}{'stdlib baseline':>18}{'ratio':>8}")
    rows = [
        ("single-order PUT req/s", sandbox["put"].rate, baseline["put"].rate),
        ("100-order gzip POST req/s", sandbox["post"].rate, baseline["post"].rate),
        ("  = orders/s via POST", sandbox["post"].rate * 100, baseline["post"].rate * 100),
        ("server CPU per PUT (µs)", sandbox["put"].cpu_us, baseline["put"].cpu_us),
        (
            "  = PUT req/s one core can serve",
            1e6 / sandbox["put"].cpu_us,
            1e6 / baseline["put"].cpu_us,
        ),
        ("server CPU per 100-order POST (µs)", sandbox["post"].cpu_us, baseline["post"].cpu_us),
        ("server busy during PUTs (% core)", _busy(sandbox["put"]), _busy(baseline["put"])),
    ]
    for label, ours, theirs in rows:
        print(f"{label:34}{ours:12,.0f}{theirs:18,.0f}{ours / theirs:8.2f}")
    capacity = 1e6 / sandbox["put"].cpu_us
    print(
        f"target >= {TARGET_PUTS_PER_SECOND:,} single-order PUTs/s: "
        f"measured {sandbox['put'].rate:,.0f}/s under this load ({'met' if sandbox['put'].rate >= TARGET_PUTS_PER_SECOND else 'not met'}); "
        f"server capacity {capacity:,.0f}/s per core ({'met' if capacity >= TARGET_PUTS_PER_SECOND else 'not met'})"
    )


if __name__ == "__main__":
    main()
