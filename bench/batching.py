"""Benchmark: omninb.batching.pack vs the straightforward packer, same orders, same run.

    python bench/batching.py [--orders 3000]

The straightforward packer an analyst would write appends one order at a time
and re-serialises and re-compresses the whole batch to check the 100 KB limit
(O(n²) per batch). ``pack`` serialises each order once and measures the exact
gzip bytes incrementally. Both must produce the same batch sizes; the script
prints orders/s for each and the speed-up ratio, for small orders (the count
limit cuts batches) and large ones (the byte limit cuts them), and for large
orders how many batches gzip level 1 (pack's) and level 6 (zlib's default) give.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from omninb import batching
from omninb.batching import GZIP_LEVEL, Batch, pack

MAX_RECORDS, MAX_BYTES = 100, 100_000


def make_orders(n: int, lines: tuple[int, int], seed: int = 1) -> list[dict[str, Any]]:
    """Synthetic orders with random ids and hashes (roughly as compressible as real exports)."""
    rnd = random.Random(seed)
    return [
        {
            "id": str(i),
            "userId": f"u{rnd.randrange(10**9)}",
            "dateTime": "2022-04-25T12:21:55+09:00",
            "storeId": f"S{rnd.randrange(500)}",
            "emailHash": f"{rnd.getrandbits(256):064x}",
            "lineItems": [
                {
                    "productId": str(rnd.randrange(10**6)),
                    "quantity": rnd.randint(1, 9),
                    "unitPrice": round(rnd.random() * 500, 3),
                }
                for _ in range(rnd.randint(*lines))
            ],
        }
        for i in range(n)
    ]


def naive(orders: list[dict[str, Any]]) -> list[int]:
    """Append, re-serialise and re-compress the whole batch after each order."""
    sizes, current = [], []
    for order in orders:
        trial = [*current, order]
        # pack's level, so both must cut the batches at the same orders
        text = json.dumps(trial, separators=(",", ":"), ensure_ascii=False).encode()
        body = gzip.compress(text, compresslevel=GZIP_LEVEL)
        if len(trial) > MAX_RECORDS or len(body) > MAX_BYTES:
            sizes.append(len(current))
            current = [order]
        else:
            current = trial
    return [*sizes, len(current)] if current else sizes


def omninb_pack(orders: list[dict[str, Any]]) -> list[int]:
    return [len(b) for b in pack(orders) if isinstance(b, Batch)]


def timed(
    fn: Callable[[list[dict[str, Any]]], list[int]], orders: list[dict[str, Any]]
) -> tuple[float, list[int]]:
    start = time.perf_counter()
    sizes = fn(orders)
    return time.perf_counter() - start, sizes


def run(label: str, orders: list[dict[str, Any]]) -> None:
    t_naive, s_naive = timed(naive, orders)
    t_pack, s_pack = timed(omninb_pack, orders)
    same = (
        "same batches"
        if s_naive == s_pack
        else f"DIFFERENT batches ({len(s_naive)} vs {len(s_pack)})"
    )
    print(
        f"{label}: {len(orders)} orders -> {len(s_pack)} batches ({same}); "
        f"straightforward {len(orders) / t_naive:,.0f} orders/s, "
        f"omninb {len(orders) / t_pack:,.0f} orders/s, ratio x{t_naive / t_pack:.1f}"
    )


def levels(orders: list[dict[str, Any]]) -> None:
    """Batches pack makes at its level and at zlib's default 6 (same orders)."""
    counts = {GZIP_LEVEL: len(omninb_pack(orders))}
    # zlib at 6 on both paths (ISA-L, for whole batches, has levels 0-3 only)
    with (
        mock.patch.object(batching, "GZIP_LEVEL", 6),
        mock.patch.object(batching, "_gzip", lambda body: zlib.compress(body, 6, 31)),
    ):
        counts[6] = len(omninb_pack(orders))
    print(
        "  gzip level: "
        + ", ".join(
            f"{lvl} -> {n} batches ({len(orders) / n:.1f} orders each)" for lvl, n in counts.items()
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=3000)
    args = parser.parse_args()
    run("small orders (1-5 lines)", make_orders(args.orders, (1, 5)))
    large = make_orders(args.orders, (100, 200))
    run("large orders (100-200 lines)", large)
    levels(large)


if __name__ == "__main__":
    main()
