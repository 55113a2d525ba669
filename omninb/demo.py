"""``python -m omninb.demo`` (what ``make demo`` runs): the sample export, end to end offline.

Reads the sample orders and returns in data/ with their column mappings,
validates them, prints each report, and writes the payloads of the valid
orders plus the list of problems to out/. Then the main job: push the valid
orders to an embedded ``omninb.Sandbox`` (the gateway emulator, with its real
100 orders/s limit and the sample catalog), collect the jobs' status,
reconcile every source order, and write the reconciliation CSV and the charts
as PNG files to out/.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from omninb.fields import KINDS, record_key
from omninb.payloads import from_valid
from omninb.pos import read_pos
from omninb.schemas import ValidationReport, validate

if TYPE_CHECKING:
    from omninb.result import PushResult
    from omninb.status import StatusReport

__all__ = ["DATA_DIR", "load", "main", "push_sample", "review", "show", "write_payloads"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def load(kind: str, data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """Read ``data_dir/<kind>.csv`` with its mapping ``<kind>_columns.json``.

    Example:
        >>> load("orders").columns[0]  # doctest: +SKIP
        'id'

    Raises:
        FileNotFoundError: the export or its mapping is missing (run data/make_data.py).
        omninb.ValidationError: an order's rows are split across the file.
    """
    return read_pos(data_dir / f"{kind}.csv", kind=kind, columns=data_dir / f"{kind}_columns.json")


def show(report: ValidationReport, limit: int = 8) -> None:
    """Print the report's summary and its first problems.

    Example:
        >>> show(validate(load("orders"), "orders"))  # doctest: +SKIP

    Raises:
        Nothing.
    """
    print(report.summary())
    for message in report.errors["message"].head(limit):
        print(f"  - {message}")
    if len(report.errors) > limit:
        print(f"  ... and {len(report.errors) - limit} more (see the errors file)")


def write_payloads(report: ValidationReport, out_dir: Path) -> tuple[Path, Path]:
    """Write the valid orders' payloads as JSON and the problems as CSV.

    Example:
        >>> write_payloads(report, Path("out"))  # doctest: +SKIP
        (PosixPath('out/orders_payloads.json'), PosixPath('out/orders_errors.csv'))

    Raises:
        OSError: out_dir cannot be created or written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    bodies = from_valid(report.valid, report.kind)
    payload_path = out_dir / f"{report.kind}_payloads.json"
    payload_path.write_text(json.dumps(bodies, indent=1, allow_nan=False) + "\n")
    errors_path = out_dir / f"{report.kind}_errors.csv"
    report.errors.to_csv(errors_path, index=False)
    return payload_path, errors_path


def push_sample(
    frame: pd.DataFrame, catalog: Path, *, progress: bool = True
) -> tuple[PushResult, StatusReport]:
    """Push the valid orders of ``frame`` to an embedded sandbox and collect the jobs' status.

    Invalid orders are skipped (they are in ``result.invalid``).

    Example:
        >>> result, status = push_sample(load("orders"), DATA_DIR / "catalog.csv")  # doctest: +SKIP
        >>> print(result.summary())  # doctest: +SKIP

    Raises:
        omninb.HTTPError: the embedded sandbox could not be reached (e.g. no loopback).
    """
    from omninb.push import push
    from omninb.sandbox import Sandbox
    from omninb.status import collect_status

    with Sandbox(catalog=catalog) as sb, sb.client() as client:
        print(f"pushing the valid orders to an embedded sandbox at {sb.url} (100 orders/s cap)")
        result = push(frame, client, kind="orders", on_invalid="skip", progress=progress)
        return result, collect_status(client, result, wait=True, timeout=60)


def review(
    frame: pd.DataFrame, result: PushResult, status: StatusReport, out_dir: Path
) -> dict[str, Path]:
    """Reconcile every source order and write the CSV and charts; print what landed.

    Example:
        >>> review(frame, result, status, Path("out"))["reconciliation"]  # doctest: +SKIP
        PosixPath('out/reconciliation.csv')

    Raises:
        OSError: out_dir cannot be written.
    """
    from omninb.outputs import write_outputs
    from omninb.reconcile import reconcile

    outcomes = reconcile(frame, result, status)
    counts = outcomes["outcome"].value_counts()
    print("outcomes: " + ", ".join(f"{n} {name}" for name, n in counts.items()))
    value = outcomes.groupby("outcome", observed=True)["value"].sum().round(2)
    print("order value by outcome: " + ", ".join(f"{k} {v:,.2f}" for k, v in value.items()))
    return write_outputs(outcomes, out_dir, status=status, result=result)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m omninb.demo", description=__doc__)
    parser.add_argument(
        "--data", type=Path, default=DATA_DIR, help="folder with the sample exports"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("out"), help="folder for payloads and errors"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Validate the samples, push the valid orders, reconcile, write the review; returns the exit status.

    Example:
        >>> main(["--out", "out"])  # doctest: +SKIP

    Raises:
        FileNotFoundError: the sample data is missing.
    """
    args = _arguments(argv)
    for kind in KINDS:
        report = validate(load(kind, args.data), kind)
        show(report)
        payloads, errors = write_payloads(report, args.out)
        sent = report.valid[record_key(kind)].nunique()
        print(f"wrote {sent} {kind} to {payloads} and {len(report.errors)} problems to {errors}\n")
    orders = load("orders", args.data)
    result, status = push_sample(orders, args.data / "catalog.csv")
    print(result)
    paths = review(orders, result, status, args.out)
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
