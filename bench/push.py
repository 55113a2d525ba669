"""Benchmark: omninb's push vs the loops an analyst would write, against the sandbox.

    python bench/push.py [--seconds 60] [--lines 2000000] [--skip-memory]

Throughput: a Sandbox with its real limit (100 orders/s per apiKey, 429 above)
and 200 ms +/- 50 ms of latency on every answer. For each method, about
``--seconds`` worth of orders at the cap go through, in the same run:

- omninb batch: ``push(df, client, method="batch")`` (gzip POSTs, pipelined);
- straightforward batch: POST 100 orders, then ``time.sleep(1)``, repeat;
- omninb single: ``push(df, client, method="single")`` (PUT per order, pooled);
- straightforward single: one PUT after the other.

Printed: orders/s as a fraction of the cap, 429s as a fraction of HTTP
requests, and orders lost (sent but absent from the sandbox's ledger).

Memory: peak RSS (the child's VmHWM) of ``omninb push`` on a CSV of
``--lines`` lines with the rate limit lifted (sandbox and client), next to a
process that reads the whole CSV and builds every payload at once.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from omninb import payloads  # noqa: E402
from omninb.push import push  # noqa: E402
from omninb.sandbox import Sandbox  # noqa: E402

__all__ = ["main"]

CAP = 100
KNOBS: dict[str, Any] = {"rate_limit": CAP, "latency": 0.2, "jitter": 0.05, "seed": 11}


def make_orders(n: int, prefix: str, seed: int = 5) -> pd.DataFrame:
    """``n`` valid orders of 1-3 line items (about 2 rows per order)."""
    rng = np.random.default_rng(seed)
    lines = rng.integers(1, 4, n)
    order = np.repeat(np.arange(n), lines)
    rows = len(order)
    return pd.DataFrame(
        {
            "id": [f"{prefix}{i}" for i in order],
            "userId": [f"user{i % 5000}" for i in order],
            "dateTime": "2024-03-01T10:15:00+09:00",
            "storeId": [f"S{i % 40}" for i in order],
            "currency": "JPY",
            "productId": [f"P{p}" for p in rng.integers(1, 5000, rows)],
            "quantity": rng.integers(1, 5, rows),
            "unitPrice": np.round(rng.uniform(1, 500, rows), 2),
        }
    )


class StatusCount(logging.Handler):
    """Counts HTTP answers by status from omninb.client's debug line for every attempt."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statuses: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        if "->" in record.msg and len(args) > 2 and isinstance(args[2], int):
            self.statuses.append(args[2])


def lost(sb: Sandbox, ids: set[str]) -> int:
    return len(ids - set(sb.ledger()["id"]))


def row(name: str, n: int, elapsed: float, statuses: list[int], n_lost: int) -> dict[str, Any]:
    requests_made = max(len(statuses), 1)
    return {
        "approach": name,
        "orders": n,
        "seconds": round(elapsed, 1),
        "orders/s": round(n / elapsed, 1),
        "of cap": f"{n / elapsed / CAP:.1%}",
        "requests": len(statuses),
        "429 share": f"{statuses.count(429) / requests_made:.2%}",
        "lost": n_lost,
    }


def omninb_way(method: str, seconds: float) -> dict[str, Any]:
    df = make_orders(int(CAP * seconds), prefix=f"{method[0].upper()}")
    counter, log = StatusCount(), logging.getLogger("omninb.client")
    log.addHandler(counter)
    log.setLevel(logging.DEBUG)
    try:
        with Sandbox(**KNOBS) as sb, sb.client() as client:
            started = time.monotonic()
            result = push(df, client, method=method, progress=False)
            elapsed = time.monotonic() - started
            n_lost = lost(sb, set(df["id"]))
    finally:
        log.removeHandler(counter)
    assert result.summary().sent == df["id"].nunique()
    return row(f"omninb {method}", df["id"].nunique(), elapsed, counter.statuses, n_lost)


def _token(sb: Sandbox) -> tuple[str, dict[str, str]]:
    c = sb.credentials
    answer = requests.post(
        f"{sb.url}/omnichannel/api/v1/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": c["client_id"],
            "client_secret": c["client_secret"],
        },
        timeout=10,
    )
    return c["api_key"], {"Authorization": f"Bearer {answer.json()['access_token']}"}


def naive_batch(seconds: float) -> dict[str, Any]:
    """POST 100, sleep 1 s: the loop in most notebooks. No retry, so a 429 loses the batch."""
    df = make_orders(int(CAP * seconds), prefix="NB")
    bodies = payloads.from_valid(df, "orders")
    with Sandbox(**KNOBS) as sb, requests.Session() as http:
        key, auth = _token(sb)
        url, statuses, started = f"{sb.url}/omnichannel/api/v1/{key}/orders", [], time.monotonic()
        headers = {**auth, "Content-Type": "application/json", "Content-Encoding": "gzip"}
        for i in range(0, len(bodies), 100):
            body = gzip.compress(json.dumps(bodies[i : i + 100]).encode())
            statuses.append(
                http.post(
                    url, data=body, headers=headers, params={"mode": "offline"}, timeout=60
                ).status_code
            )
            time.sleep(1)
        elapsed = time.monotonic() - started
        return row("straightforward batch", len(bodies), elapsed, statuses, lost(sb, set(df["id"])))


def naive_single(seconds: float) -> dict[str, Any]:
    """One PUT after the other for ``seconds``: what `for order in orders: requests.put(...)` does."""
    bodies = payloads.from_valid(make_orders(int(CAP * seconds), prefix="NS"), "orders")
    with Sandbox(**KNOBS) as sb, requests.Session() as http:
        key, auth = _token(sb)
        statuses, sent, started = [], set(), time.monotonic()
        for body in bodies:
            if time.monotonic() - started >= seconds:
                break
            user = body.pop("userId")
            url = f"{sb.url}/omnichannel/api/v1/{key}/orders/users/{user}"
            statuses.append(
                http.put(
                    url, json=body, headers=auth, params={"mode": "offline"}, timeout=60
                ).status_code
            )
            sent.add(body["id"])
        elapsed = time.monotonic() - started
        return row("straightforward single", len(sent), elapsed, statuses, lost(sb, sent))


def write_csv(path: Path, lines: int) -> None:
    """A POS export of ``lines`` data lines, written in slices so the writer stays small."""
    done, part = 0, 0
    while done < lines:
        frame = make_orders(200_000, prefix=f"M{part}-", seed=part).head(lines - done)
        frame.to_csv(path, mode="a", header=done == 0, index=False)
        done, part = done + len(frame), part + 1


def _high_water_mb(pid: int) -> float | None:
    """VmHWM of a live process (Linux): the peak RSS of its own address space."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    kb = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")), None)
    return int(kb) / 1024 if kb else None


def peak_rss(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Run a child; its peak RSS in MB, wall seconds and exit status.

    Why poll VmHWM rather than wait4's ru_maxrss: on Linux ru_maxrss survives exec,
    so a child forked from this (large) process would report this process's size.
    VmHWM only grows, so the last reading before exit is the peak.
    """
    started, peak = time.monotonic(), 0.0
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    while proc.poll() is None:
        peak = max(peak, _high_water_mb(proc.pid) or 0.0)
        time.sleep(0.1)
    return peak, time.monotonic() - started, proc.returncode


WHOLE_FILE = (
    "import sys; from omninb import payloads; from omninb.pos import read_pos; "
    "df = read_pos(sys.argv[1]); print(len(payloads.from_valid(df, 'orders')))"
)


def memory(lines: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp, Sandbox(rate_limit=None) as sb:
        csv = Path(tmp) / "export.csv"
        write_csv(csv, lines)
        c = sb.credentials
        env = dict(os.environ, OMNI_API_KEY=c["api_key"], OMNI_CLIENT_ID=c["client_id"])
        env.update(OMNI_CLIENT_SECRET=c["client_secret"], OMNI_BASE_URL=sb.url)
        cmd = [sys.executable, "-m", "omninb.cli", "push", str(csv), "--rate", "none"]
        cmd += ["--journal", str(Path(tmp) / "import.sqlite"), "--no-progress"]
        rss, wall, code = peak_rss(cmd, env)
        orders = len(sb.ledger())
        whole, whole_wall, _ = peak_rss([sys.executable, "-c", WHOLE_FILE, str(csv)], env)
    return [
        {"process": "omninb push (chunks, sends)", "lines": lines, "orders stored": orders,
         "peak RSS MB": round(rss), "seconds": round(wall), "exit": code},
        {"process": "whole file in memory (read + payloads, no send)", "lines": lines,
         "orders stored": 0, "peak RSS MB": round(whole), "seconds": round(whole_wall), "exit": 0},
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="seconds of orders at the cap per run"
    )
    parser.add_argument("--lines", type=int, default=2_000_000, help="CSV lines for the memory run")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_throughput:
        throughput(args.seconds)
    if not args.skip_memory:
        print("\n" + pd.DataFrame(memory(args.lines)).to_string(index=False), flush=True)


def throughput(seconds: float) -> None:
    """The four runs of the same length, then the ratios."""
    print(
        f"sandbox: {CAP} orders/s cap, latency 0.2 +/- 0.05 s; {seconds:.0f} s of orders per run\n",
        flush=True,
    )
    rows = []
    for run in (lambda: omninb_way("batch", seconds), lambda: naive_batch(seconds),
                lambda: omninb_way("single", seconds), lambda: naive_single(seconds)):  # fmt: skip
        rows.append(run())
        print(pd.DataFrame([rows[-1]]).to_string(index=False, header=len(rows) == 1), flush=True)
    table = pd.DataFrame(rows).set_index("approach")
    print("\n" + table.to_string())
    for method in ("batch", "single"):
        ratio = (
            table.loc[f"omninb {method}", "orders/s"]
            / table.loc[f"straightforward {method}", "orders/s"]
        )
        print(f"{method}: omninb is {ratio:.1f}x the straightforward loop's throughput")


if __name__ == "__main__":
    main()
