"""omninb.outputs: the CSV and every chart land in the folder, from a real sandbox push."""

from __future__ import annotations

import pandas as pd

import omninb
from omninb.outputs import write_outputs
from omninb.status import collect_status
from tests.views_data import CATALOG, expected, push_mixed

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_write_outputs_writes_the_csv_and_every_chart(tmp_path):
    with omninb.Sandbox(catalog=CATALOG, rate_limit=None) as sb, sb.client(rate=None) as client:
        pushed = push_mixed(sb, client, n=80)
        status = collect_status(client, pushed.result, poll_interval=0.05)
    outcomes = pushed.df.omni.reconcile(pushed.result, status)
    paths = write_outputs(outcomes, tmp_path / "out", status=status, result=pushed.result)
    assert sorted(paths) == [
        "failure_reasons",
        "outcomes_by_day",
        "outcomes_by_store",
        "reconciliation",
        "throughput",
    ]
    assert all(p.parent == tmp_path / "out" for p in paths.values())
    csv = pd.read_csv(paths["reconciliation"], dtype={"id": str})
    assert (
        len(csv) == 80
        and set(csv.loc[csv["outcome"] == "rejected", "id"]) == expected(80)["rejected"]
    )
    for name, path in paths.items():
        if name != "reconciliation":
            assert path.read_bytes()[:8] == PNG_MAGIC, name


def test_without_status_or_result_the_charts_come_from_the_outcomes(tmp_path):
    outcomes = pd.DataFrame(
        {
            "id": ["1", "2"],
            "outcome": ["accepted", "invalid"],
            "reason": ["", "quantity: {}"],
            "storeId": ["S1", "S2"],
            "dateTime": ["2024-03-01T10:00:00+09:00"] * 2,
            "value": [1.0, 2.0],
        }
    )
    paths = write_outputs(outcomes, tmp_path)
    assert "throughput" not in paths and paths["failure_reasons"].stat().st_size > 0
