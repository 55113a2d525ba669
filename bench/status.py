"""Benchmark: collect_status for 1,000 jobs vs the loop an analyst would write, on the sandbox.

    python bench/status.py [--jobs 1000] [--latency 0.0 0.05] [--workers 8]

For each latency (seconds added by the sandbox to every answer), the same run:

- creates ``--jobs`` import jobs (one PUT per order, the rate limit lifted), some
  with a rejected product so that the jobs carry events;
- times the straightforward loop: ``for job in ids: client.job_events(job)``,
  then building the two frames by hand is left out (it only flatters omninb);
- times ``omninb.collect_status(client, ids, max_workers=W)`` (jobs already final,
  so one round) and with ``wait=True`` on jobs that stay RUNNING for 1 s
  (the sandbox's ``status_delay``), which adds the polling.

Printed: seconds, jobs/s, and the speed-up ratio against the loop.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import omninb  # noqa: E402
from omninb.status import collect_status  # noqa: E402


def _orders(n: int) -> pd.DataFrame:
    stamp = pd.Timestamp("2024-03-01 10:00", tz="Asia/Tokyo")
    return pd.DataFrame(
        {
            "id": [f"B{i}" for i in range(n)],
            "userId": [f"u{i % 97}" for i in range(n)],
            "dateTime": stamp,
            "productId": ["GHOST" if i % 10 == 3 else "P1" for i in range(n)],
            "quantity": 1,
            "unitPrice": 9.5,
        }
    )


def _job_ids(sb: omninb.Sandbox, n: int) -> list[str]:
    with sb.client(rate=None) as client:
        result = _orders(n).omni.push(client, method="single", progress=False, max_workers=32)
    ids = list(result.requests["jobId"].dropna())
    assert len(ids) == n, f"expected {n} jobs, got {len(ids)}"
    return ids


def _timed(label: str, run, n: int, baseline: float | None) -> float:
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    ratio = f"  x{baseline / seconds:5.1f} vs loop" if baseline else ""
    print(f"  {label:<52} {seconds:7.2f} s  {n / seconds:8.0f} jobs/s{ratio}", flush=True)
    return seconds


def bench(jobs: int, latency: float, workers: int) -> None:
    print(f"\n{jobs:,} jobs, sandbox latency {latency * 1000:.0f} ms per answer")
    with omninb.Sandbox(catalog=["P1"], rate_limit=None, latency=latency) as sb:
        ids = _job_ids(sb, jobs)
        with sb.client(rate=None) as client:
            client.job_events(ids[0])  # the status token, fetched once for everyone
            loop = _timed(
                "loop: client.job_events(job) for each job",
                lambda: [client.job_events(j) for j in ids],
                jobs,
                None,
            )
            for w in sorted({1, workers, workers * 4}):
                _timed(
                    f"collect_status(max_workers={w})",
                    lambda w=w: collect_status(client, ids, max_workers=w),
                    jobs,
                    loop,
                )
    with omninb.Sandbox(catalog=["P1"], rate_limit=None, latency=latency, status_delay=1.0) as sb:
        ids = _job_ids(sb, jobs)
        with sb.client(rate=None) as client:
            report = None

            def waiting() -> None:
                nonlocal report
                report = collect_status(client, ids, max_workers=workers, poll_interval=0.5)

            _timed(
                f"collect_status(wait=True, RUNNING 1 s, {workers} workers)", waiting, jobs, loop
            )
            assert report is not None and report.complete, "every job should be final"
            print(f"    {len(report.jobs):,} jobs final, {len(report.events):,} events")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--latency", type=float, nargs="+", default=[0.0, 0.05])
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    for latency in args.latency:
        bench(args.jobs, latency, args.workers)


if __name__ == "__main__":
    main()
