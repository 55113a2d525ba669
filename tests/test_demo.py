"""demo: `python -m omninb.demo` validates the sample exports and writes payloads and problems."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from omninb import demo

ROOT = Path(__file__).resolve().parent.parent
PLANTED = {"required", "datetime_with_offset", "not_raw_email", "iso_4217", "positive_integer"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    done = subprocess.run(
        [sys.executable, "-m", "omninb.demo", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    return done, out


def test_demo_exits_cleanly_and_prints_both_reports(run):
    done, _ = run
    assert done.returncode == 0, done.stderr
    assert "orders:" in done.stdout and "returns:" in done.stdout
    assert "Row " in done.stdout and "wrote " in done.stdout


@pytest.mark.parametrize("kind", ["orders", "returns"])
def test_demo_writes_payloads_of_exactly_the_valid_orders(run, kind):
    _, out = run
    key = "id" if kind == "orders" else "returnId"
    bodies = json.loads((out / f"{kind}_payloads.json").read_text())
    errors = pd.read_csv(out / f"{kind}_errors.csv", dtype={"id": str})
    source = demo.load(kind)
    expected = [k for k in source[key].unique() if k not in set(errors["id"])]
    assert [b[key] for b in bodies] == expected
    assert all(b["lineItems"] for b in bodies)


@pytest.mark.parametrize("kind", ["orders", "returns"])
def test_demo_reports_every_planted_fault(run, kind):
    _, out = run
    errors = pd.read_csv(out / f"{kind}_errors.csv")
    assert set(errors["check"]) >= PLANTED
    assert list(errors.columns) == ["row", "id", "column", "check", "value", "message"]


def test_no_raw_email_or_card_number_reaches_the_outputs(run):
    _, out = run
    data = b"".join(p.read_bytes() for p in out.iterdir())  # CSV, JSON and the PNG charts
    assert b"jane.doe@example.com" not in data and b"4111111111111111" not in data


def test_demo_runs_the_main_job_and_writes_the_review(run):
    done, out = run
    assert "pushing the valid orders to an embedded sandbox" in done.stdout
    assert "outcomes: " in done.stdout and "accepted" in done.stdout
    written = {p.name for p in out.iterdir()}
    assert {"reconciliation.csv", "failure_reasons.png", "throughput.png"} <= written
    assert str(out / "reconciliation.csv") in done.stdout


def test_missing_sample_data_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"orders_columns\.json"):
        demo.main(["--data", str(tmp_path), "--out", str(tmp_path / "out")])
