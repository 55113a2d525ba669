"""Benchmark: validate + payloads + JSON + gzip batches, omninb vs. the straightforward loop.

    python bench/prepare.py [--orders 200000] [--lines 3] [--baseline-orders 10000] [--repeat 3]

omninb: ``schemas.validate`` -> ``payloads.from_valid(report.valid)`` ->
``batching.pack`` (JSON + gzip bodies of at most 100 orders / 100 KB).
Straightforward: what an analyst writes first: ``iterrows`` into dicts grouped
by order id, ``json.dumps`` and ``gzip.compress`` per 100 orders, no validation.
The loop is linear in the number of orders, so it runs on a slice
(``--baseline-orders``) of the same frame to keep the run short; both figures
are orders per second on one core (everything runs in this one thread),
measured in the same run, each the best of ``--repeat`` runs after one warm-up
(first-use imports, printed apart). The machine is shared, so the load average
is printed too. Then the figures behind the choices: orjson vs json.dumps,
gzip level 1 vs 6 and ISA-L vs zlib, pausing the GC while payloads are built.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import orjson
import pandas as pd
from isal import isal_zlib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from omninb import payloads, schemas
from omninb.batching import pack

__all__ = ["main", "make_frame", "omninb_way", "straightforward_way"]


def make_frame(n_orders: int, lines: int, seed: int = 7) -> pd.DataFrame:
    """A clean long frame of ``n_orders`` orders with ``lines`` line items each."""
    rng = np.random.default_rng(seed)
    n = n_orders * lines
    order = np.repeat(np.arange(n_orders), lines)
    start = pd.Timestamp("2026-11-01", tz="Europe/Paris")
    seconds = np.repeat(rng.integers(0, 86400 * 30, n_orders), lines)
    return pd.DataFrame(
        {
            "id": pd.Series(order + 10_000_000).astype(str),
            "channel": "6a700f55b7059e38",
            "userId": pd.Series(order % 40_000 + 100_000).astype(str),
            "dateTime": start + pd.to_timedelta(seconds, unit="s"),
            "paymentMethod": "credit",
            "emailHash": "86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d",
            "storeId": pd.Series(order % 40).astype(str).radd("S"),
            "regionId": 11,
            "segmentIds": "44|55|3",
            "currency": "EUR",
            "productId": pd.Series(rng.integers(100_000, 100_500, n)).astype(str).radd("A"),
            "skuId": "sku1",
            "quantity": rng.integers(1, 5, n),
            "unitPrice": np.round(rng.uniform(1, 500, n), 2),
        }
    )


def omninb_way(df: pd.DataFrame) -> tuple[int, dict[str, float]]:
    """Validate, build payloads of the valid rows, pack gzip batches; (bodies, seconds per step)."""
    t0 = time.perf_counter()
    report = schemas.validate(df, "orders")
    t1 = time.perf_counter()
    bodies = payloads.from_valid(report.valid, "orders")
    t2 = time.perf_counter()
    batches = list(pack(bodies))
    t3 = time.perf_counter()
    return len(batches), {"validate": t1 - t0, "payloads": t2 - t1, "json_gzip": t3 - t2}


def straightforward_way(df: pd.DataFrame) -> int:
    """The analyst's loop: iterrows into dicts, json.dumps, gzip per 100 orders."""
    orders: dict[str, dict[str, Any]] = {}
    line_fields = ("productId", "skuId", "quantity", "unitPrice")
    for _, row in df.iterrows():
        order = orders.get(row["id"])
        if order is None:
            order = {k: v for k, v in row.items() if k not in line_fields}
            order["dateTime"] = row["dateTime"].isoformat()
            order["regionId"] = int(row["regionId"])
            order["segmentIds"] = row["segmentIds"].split("|")
            order["lineItems"] = []
            orders[row["id"]] = order
        order["lineItems"].append(
            {
                "productId": row["productId"],
                "skuId": row["skuId"],
                "quantity": int(row["quantity"]),
                "unitPrice": float(row["unitPrice"]),
            }
        )
    bodies = list(orders.values())
    chunks = [bodies[i : i + 100] for i in range(0, len(bodies), 100)]
    return len([gzip.compress(json.dumps(c).encode()) for c in chunks])


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[Any, float]:
    """(result, wall seconds) of the fastest of ``repeat`` runs."""
    result, wall, _ = timed(repeat, run)
    return result, wall


def timed(repeat: int, run: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result of the fastest run, best wall seconds, best CPU seconds) of ``repeat`` runs.

    CPU time counts only this process's own work: on a shared machine it is the
    steadier figure for "orders per second on one core"; wall time is printed too.
    """
    runs = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu, result))
    wall_s, _, result = min(runs, key=lambda r: r[0])
    return result, wall_s, min(r[1] for r in runs)


def warm_up(lines: int) -> float:
    """One small run of each way: imports and one-time set-up, kept out of the figures."""
    start = time.perf_counter()
    small = make_frame(50, lines)
    omninb_way(small)
    straightforward_way(small)
    return time.perf_counter() - start


def choices(df: pd.DataFrame, repeat: int) -> list[str]:
    """Figures behind orjson, gzip (level 1, ISA-L) and the GC pause, on ``df`` (same run)."""
    bodies = payloads.from_valid(df, "orders")
    chunks = [bodies[i : i + 100] for i in range(0, len(bodies), 100)]
    out = [f"choices, on {len(bodies):,} orders (best of {repeat}):"]

    def stdlib(c: list[dict[str, Any]]) -> bytes:
        return json.dumps(c, separators=(",", ":"), ensure_ascii=False).encode()

    for name, dump in (("json.dumps", stdlib), ("orjson.dumps", orjson.dumps)):
        _, seconds = best_of(repeat, lambda d=dump: [d(c) for c in chunks])
        out.append(f"  encode  {name:<13} {seconds:6.3f} s")
    texts = [orjson.dumps(c) for c in chunks]
    for name, zipper, level in (
        ("zlib", zlib.compress, 1),
        ("zlib", zlib.compress, 6),
        ("isal", isal_zlib.compress, 1),
    ):
        zipped, seconds = best_of(
            repeat, lambda z=zipper, v=level: [z(t, v, wbits=31) for t in texts]
        )
        mean = sum(map(len, zipped)) / len(zipped)
        out.append(
            f"  gzip    {name} level {level}  {seconds:6.3f} s, {mean:,.0f} bytes per 100 orders"
        )
    _, paused = best_of(repeat, lambda: payloads.from_valid(df, "orders"))
    with mock.patch.object(payloads, "_gc_paused", contextlib.nullcontext):
        _, running = best_of(repeat, lambda: payloads.from_valid(df, "orders"))
    out.append(f"  payloads GC paused {paused:6.3f} s, GC running {running:6.3f} s")
    return out


def main(argv: list[str] | None = None) -> None:
    """Run both ways and print orders/s, the per-step split, the ratio and the choices."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--lines", type=int, default=3)
    parser.add_argument("--baseline-orders", type=int, default=10_000)
    parser.add_argument("--choice-orders", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    df = make_frame(args.orders, args.lines)
    warm = warm_up(args.lines)
    (n_batches, steps), ours, ours_cpu = timed(args.repeat, lambda: omninb_way(df))
    sample = df.iloc[: args.baseline_orders * args.lines]
    _, theirs, theirs_cpu = timed(args.repeat, lambda: straightforward_way(sample))
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; warm-up {warm:.2f} s")
    print(_line("omninb", args.orders, args.lines, ours, ours_cpu, f"{n_batches:,} batches"))
    print("  wall: " + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()))
    print(
        _line(
            "straightforward", args.baseline_orders, args.lines, theirs, theirs_cpu, "no validation"
        )
    )
    ratio = (args.orders / ours) / (args.baseline_orders / theirs)
    ratio_cpu = (args.orders / ours_cpu) / (args.baseline_orders / theirs_cpu)
    print(
        f"ratio: {ratio:.1f}x wall, {ratio_cpu:.1f}x CPU   target: >= 100,000 orders/s and >= 15x"
    )
    print("\n".join(choices(df.iloc[: args.choice_orders * args.lines], args.repeat)))


def _line(name: str, orders: int, lines: int, wall: float, cpu: float, note: str) -> str:
    return (
        f"{name + ':':<17}{orders:>9,} orders x {lines} lines: wall {wall:5.2f} s = "
        f"{orders / wall:>8,.0f} orders/s, CPU {cpu:5.2f} s = {orders / cpu:>8,.0f} orders/s ({note})"
    )


if __name__ == "__main__":
    main()
