"""Chaos soak: push N orders through a faulty sandbox, SIGKILL the pushing process three times, resume.

The sandbox answers 500/503, drops connections before and after storing,
issues 2-second tokens and allows fewer orders per second than the client
sends (so 429s come back). ``omninb push FILE --journal J`` runs as a
subprocess and is killed with SIGKILL at 20 %, 45 % and 70 % of the orders
stored, then run again with the same command until it finishes.

Figures: orders lost (from the sandbox's ledger; must be 0), orders stored
twice (each must belong to a request the journal marks uncertain), requests,
retries, wall time. For comparison, the same run without a journal (what a
plain re-run does after a crash: send everything again) reports its
duplicates in the same run.

Usage: python bench/soak.py [--orders 20000] [--no-baseline]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # runnable from a checkout

import omninb  # noqa: E402

__all__ = ["Soak", "SoakFigures", "run_soak"]


@dataclass(frozen=True)
class Soak:
    """The scenario's knobs.

    Attributes:
        orders: orders in the export (one line each, a few with three lines).
        kills: fractions of the orders stored at which the pushing process is killed.
        server_rate: orders per second the sandbox allows (429 above).
        client_rate: orders per second the client sends (above server_rate on purpose).
        error_rate, drop_before_rate, drop_after_rate: the sandbox's fault shares.
        token_ttl: seconds a bearer token lives.
        seed: makes the faults reproducible.
    """

    orders: int = 20_000
    kills: tuple[float, ...] = (0.2, 0.45, 0.7)
    server_rate: int = 400
    client_rate: int = 440
    error_rate: float = 0.05
    drop_before_rate: float = 0.02
    drop_after_rate: float = 0.02
    token_ttl: float = 2.0
    seed: int = 11


@dataclass(frozen=True)
class SoakFigures:
    """What the soak measured."""

    orders: int
    kills: int
    runs: int
    lost: int
    stored_twice: int
    stored_twice_not_uncertain: int
    uncertain_orders: int
    requests: int
    retries: int
    tokens_issued: int
    wall_seconds: float
    exit_codes: tuple[int, ...]


def export(path: Path, n: int) -> list[str]:
    """Write an export of ``n`` valid orders (API column names) and return their ids."""
    rows = []
    for i in range(n):
        for line in range(3 if i % 10 == 0 else 1):
            rows.append(
                {
                    "id": f"S{i:06d}",
                    "userId": f"user{i % 97}",
                    "dateTime": "2024-03-01T10:15:00+09:00",
                    "storeId": f"store{i % 13}",
                    "productId": f"P{(i * 7 + line) % 500}",
                    "quantity": 1 + i % 4,
                    "unitPrice": round(1 + (i % 1000) * 0.37, 2),
                }
            )
    pd.DataFrame(rows).to_csv(path, index=False)
    return [f"S{i:06d}" for i in range(n)]


def _command(sb: omninb.Sandbox, path: Path, journal: Path | None, rate: int) -> list[str]:
    args = [sys.executable, "-m", "omninb.cli", "push", str(path), "--base-url", sb.url]
    args += ["--rate", str(rate), "--no-progress"]
    return args + (["--journal", str(journal)] if journal else [])


def _environ(sb: omninb.Sandbox) -> dict[str, str]:
    c = sb.credentials
    return dict(
        os.environ,
        OMNI_API_KEY=c["api_key"],
        OMNI_CLIENT_ID=c["client_id"],
        OMNI_CLIENT_SECRET=c["client_secret"],
    )


def _stored(sb: omninb.Sandbox) -> int:
    return len(sb.ledger())


def _run_until(sb: omninb.Sandbox, args: list[str], kill_at: int | None) -> int:
    """Run the push; SIGKILL it once the sandbox stored ``kill_at`` orders. Returns its exit code."""
    proc = subprocess.Popen(
        args, env=_environ(sb), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    while kill_at is not None and proc.poll() is None and _stored(sb) < kill_at:
        time.sleep(0.05)
    if kill_at is not None and proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=1800)
    if proc.returncode not in (0, -signal.SIGKILL):
        raise RuntimeError(f"push exited {proc.returncode}: {err.decode()[-2000:]}")
    return proc.returncode


def _journal_figures(journal: Path | None) -> tuple[set[str], int, int]:
    """(keys of uncertain requests, requests, retries) from the journal."""
    if journal is None:
        return set(), 0, 0
    with sqlite3.connect(journal) as conn:
        uncertain = {
            k
            for (k,) in conn.execute(
                "SELECT m.key FROM members m JOIN requests r USING (request) WHERE r.uncertain = 1"
            )
        }
        requests, retries = conn.execute(
            "SELECT count(*), coalesce(sum(max(coalesce(attempts, 1) - 1, 0)), 0) FROM requests"
        ).fetchone()
    return uncertain, int(requests), int(retries)


def run_soak(soak: Soak, workdir: Path, *, journaled: bool = True) -> SoakFigures:
    """Run the scenario once and measure it (see the module docstring).

    Example:
        >>> run_soak(Soak(orders=500), Path(tempfile.mkdtemp()))  # doctest: +SKIP
        SoakFigures(orders=500, kills=3, ..., lost=0, ...)

    Raises:
        RuntimeError: a push run failed with an error instead of finishing or being killed.
    """
    path, journal = workdir / "export.csv", (workdir / "soak.sqlite" if journaled else None)
    ids = export(path, soak.orders)
    knobs = {k: getattr(soak, k) for k in ("error_rate", "drop_before_rate", "drop_after_rate")}
    started = time.monotonic()
    with omninb.Sandbox(
        rate_limit=soak.server_rate, token_ttl=soak.token_ttl, seed=soak.seed, **knobs
    ) as sb:
        args = _command(sb, path, journal, soak.client_rate)
        codes = [_run_until(sb, args, int(f * soak.orders)) for f in soak.kills]
        codes.append(_run_until(sb, args, None))
        while journaled and codes[-1] != 0 and len(codes) < len(soak.kills) + 4:
            codes.append(_run_until(sb, args, None))  # a request that gave up: run it again
        ledger, tokens = sb.ledger(), len(sb.issued_tokens())
    wall = time.monotonic() - started
    uncertain, requests, retries = _journal_figures(journal)
    twice = set(ledger.loc[ledger["stored"] > 1, "id"])
    return SoakFigures(
        orders=soak.orders,
        kills=sum(c == -signal.SIGKILL for c in codes),
        runs=len(codes),
        lost=len(set(ids) - set(ledger["id"])),
        stored_twice=len(twice),
        stored_twice_not_uncertain=len(twice - uncertain) if journaled else len(twice),
        uncertain_orders=len(uncertain),
        requests=requests,
        retries=retries,
        tokens_issued=tokens,
        wall_seconds=round(wall, 1),
        exit_codes=tuple(codes),
    )


def main(argv: list[str] | None = None) -> None:
    """Run the soak with a journal, then (unless --no-baseline) without, and print both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=Soak.orders)
    parser.add_argument("--no-baseline", action="store_true", help="skip the run without journal")
    args = parser.parse_args(argv)
    soak = Soak(orders=args.orders)
    with tempfile.TemporaryDirectory() as tmp:
        figures = run_soak(soak, Path(tmp))
    print("omninb push --journal, killed and resumed:")
    print(json.dumps(asdict(figures), indent=2))
    if args.no_baseline:
        return
    with tempfile.TemporaryDirectory() as tmp:
        plain = run_soak(soak, Path(tmp), journaled=False)
    print("the same without a journal (each restart sends everything again):")
    print(json.dumps(asdict(plain), indent=2))
    ratio = plain.stored_twice / max(figures.stored_twice, 1)
    print(
        f"orders stored twice: {figures.stored_twice} with the journal vs "
        f"{plain.stored_twice} without ({ratio:.0f}x); lost: {figures.lost} vs {plain.lost}"
    )


if __name__ == "__main__":
    main()
