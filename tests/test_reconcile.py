"""omninb.reconcile: outcome rules on hand-built results, and a real push on the sandbox."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from omninb.reconcile import (
    OUTCOME_COLUMNS,
    export_failed,
    failed_orders,
    reconcile,
    to_pos_columns,
)
from omninb.result import PushResult, invalid_frame, orders_frame, requests_frame
from omninb.retry import RetryPolicy
from omninb.status import report_from_answers

TS = pd.Timestamp("2024-03-01 10:00", tz="Asia/Tokyo")


def _lines(order_id, store, n_lines, *, price=2.5, day=0, product="p1"):
    return [
        {
            "id": order_id,
            "userId": f"u{order_id}",
            "dateTime": TS + pd.Timedelta(days=day),
            "storeId": store,
            "segmentIds": ["44", "55"],
            "productId": product,
            "quantity": i + 1,
            "unitPrice": price,
        }
        for i in range(n_lines)
    ]


@pytest.fixture
def source():
    rows = (
        _lines("1", "S1", 2)  # accepted
        + _lines("2", "S1", 1, product="ghost")  # rejected by an event
        + _lines("3", "S2", 1)  # invalid
        + _lines("4", "S2", 3, day=1)  # unsent
        + _lines("5", "S2", 1, day=1)  # uncertain (answer lost)
        + _lines("6", "S3", 1)  # in a job that is still running
    )
    return pd.DataFrame(rows)


def _request(no, job, message, uncertain=0):
    return {
        "request": no,
        "orders": 1,
        "bytes": 10,
        "status": 200 if job else None,
        "jobId": job,
        "message": message,
        "attempts": 1,
        "uncertain": uncertain,
        "sent_at": 1_700_000_000 + no,
        "elapsed": 0.1,
    }


@pytest.fixture
def result():
    requests = pd.DataFrame(
        [
            _request(1, "j1", "Total records = 2. Success = 1. Failed = 1"),
            _request(2, None, None, uncertain=1),
            _request(3, "j2", "Total records = 1. Success = 1. Failed = 0"),
        ]
    )
    orders = pd.DataFrame(
        {
            "id": ["1", "2", "4", "5", "6"],
            "request": [1, 1, None, 2, 3],
            "jobId": ["j1", "j1", None, None, "j2"],
            "state": ["sent", "sent", "unsent", "sent", "sent"],
            "uncertain": [0, 0, 0, 1, 0],
        }
    )
    invalid = pd.DataFrame(
        [
            {
                "row": 3,
                "id": "3",
                "column": "quantity",
                "check": "gt",
                "value": 0,
                "message": "quantity 0 must be > 0",
            }
        ]
    )
    return PushResult(
        "orders",
        "offline",
        "batch",
        requests=requests_frame(requests),
        orders=orders_frame(orders),
        invalid=invalid_frame(invalid),
    )


def _answer(job, status, events=()):
    return {
        "summary": {"job-id": job, "job-status": status},
        "result": [
            {"level": "WARNING", "message": m, "attributes": {"orderId": o}} for o, m in events
        ],
    }


@pytest.fixture
def status():
    return report_from_answers(
        {
            "j1": _answer(
                "j1", "PROCESSING_WITH_WARNING", [("2", "No product is found for product ID ghost")]
            ),
            "j2": _answer("j2", "RUNNING"),
        }
    )


def test_each_order_gets_exactly_one_outcome(source, result, status):
    out = reconcile(source, result, status)
    assert list(out.columns) == list(OUTCOME_COLUMNS)
    assert out["id"].tolist() == ["1", "2", "3", "4", "5", "6"]
    assert dict(zip(out["id"], out["outcome"].astype(str), strict=True)) == {
        "1": "accepted",
        "2": "rejected",
        "3": "invalid",
        "4": "not sent",
        "5": "uncertain",
        "6": "uncertain",
    }


def test_reasons_say_why(source, result, status):
    reason = reconcile(source, result, status).set_index("id")["reason"]
    assert reason["1"] == ""
    assert reason["2"] == "No product is found for product ID {}"
    assert reason["3"] == "quantity: quantity {} must be > {}"
    assert "stopped before it" in reason["4"]
    assert "answer to its request was lost" in reason["5"]
    assert reason["6"] == "job status RUNNING is not final"


def test_value_is_the_sum_of_quantity_times_price(source, result, status):
    out = reconcile(source, result, status).set_index("id")
    assert out.loc["1", "value"] == pytest.approx((1 + 2) * 2.5)
    assert out.loc["4", "value"] == pytest.approx((1 + 2 + 3) * 2.5)
    assert out.loc["4", "storeId"] == "S2" and out.loc["4", "dateTime"] == TS + pd.Timedelta(days=1)
    assert pd.isna(out.loc["3", "jobId"]) and out.loc["2", "jobId"] == "j1"


def test_without_status_a_request_with_failures_makes_its_orders_uncertain(source, result):
    out = reconcile(source, result).set_index("id")
    assert out.loc["1", "outcome"] == "uncertain" and out.loc["2", "outcome"] == "uncertain"
    assert out.loc["1", "reason"] == "its request reported 1 failed; collect status to see which"
    # a request that reported no failures is accepted on its answer alone
    assert out.loc["6", "outcome"] == "accepted"


def test_a_failed_job_rejects_orders_no_event_names(source, result):
    status = report_from_answers(
        {
            "j1": {
                "summary": {"job-status": "FAILED"},
                "result": [{"level": "ERROR", "message": "Malformed body at byte 17"}],
            },
            "j2": _answer("j2", "PROCESSING"),
        }
    )
    out = reconcile(source, result, status).set_index("id")
    assert out.loc[["1", "2"], "outcome"].tolist() == ["rejected", "rejected"]
    assert out.loc["1", "reason"] == "Malformed body at byte {}"
    assert out.loc["6", "outcome"] == "accepted"


def test_numeric_ids_in_the_source_match_string_ids_on_the_wire(result, status):
    source = pd.DataFrame(_lines(1.0, "S1", 1) + _lines(2.0, "S1", 1))
    out = reconcile(source, result, status)
    assert out["id"].tolist() == ["1", "2"]
    assert out["outcome"].astype(str).tolist() == ["accepted", "rejected"]


def test_orders_missing_from_the_result_are_not_sent(result, status):
    source = pd.DataFrame(_lines("99", "S9", 1))
    out = reconcile(source, result, status)
    assert (out.loc[0, "outcome"], out.loc[0, "reason"]) == ("not sent", "not in this push result")


def test_a_frame_without_the_key_column_is_refused(result, status):
    with pytest.raises(KeyError, match="record key column 'id'"):
        reconcile(pd.DataFrame({"orderNo": [1]}), result, status)


# --- failed orders back out in POS columns ------------------------------------------------

MAPPING = {"TransactionID": "id", "Store": "storeId", "Segments": "segmentIds", "When": "dateTime"}


def test_failed_orders_are_every_line_of_the_failed_orders(source, result, status):
    out = reconcile(source, result, status)
    rows = failed_orders(source, out)
    assert rows["id"].tolist() == ["2", "3", "4", "4", "4"]
    assert set(rows["outcome"]) == {"rejected", "invalid", "not sent"}
    everything = failed_orders(source, out, which=["uncertain"])
    assert sorted(set(everything["id"])) == ["5", "6"]


def test_unknown_outcomes_are_refused(source, result, status):
    with pytest.raises(ValueError, match="unknown outcome"):
        failed_orders(source, reconcile(source, result, status), which=["lost"])


def test_to_pos_columns_inverts_the_read_mapping():
    frame = pd.DataFrame(_lines("7", "S1", 1))
    out = to_pos_columns(frame, MAPPING)
    assert {"TransactionID", "Store", "Segments", "When", "productId"} <= set(out.columns)
    assert out.loc[0, "Segments"] == "44|55"
    assert out.loc[0, "When"] == "2024-03-01T10:00:00+09:00"


def test_export_failed_writes_pos_columns_and_can_carry_the_reason(
    tmp_path, source, result, status
):
    mapping_file = tmp_path / "map.json"
    mapping_file.write_text(json.dumps(MAPPING))
    out = reconcile(source, result, status)
    path = export_failed(source, out, tmp_path / "sub" / "failed.csv", columns=mapping_file)
    written = pd.read_csv(path, dtype=str)
    assert written["TransactionID"].tolist() == ["2", "3", "4", "4", "4"]
    assert "reason" not in written and "id" not in written
    with_reason = pd.read_csv(
        export_failed(source, out, tmp_path / "r.csv", with_reason=True), dtype=str
    )
    assert with_reason.loc[0, "reason"] == "No product is found for product ID {}"


# --- a real push on the sandbox ------------------------------------------------------------

import omninb  # noqa: E402
from omninb.status import collect_status  # noqa: E402
from tests.views_data import CATALOG, expected, mixed_orders, push_mixed  # noqa: E402


def test_outcomes_of_a_real_push_equal_the_ledger_and_the_events():
    with omninb.Sandbox(catalog=CATALOG, rate_limit=None) as sb, sb.client(rate=None) as client:
        pushed = push_mixed(sb, client, n=230)
        status = collect_status(client, pushed.result, poll_interval=0.05)
        ledger = sb.ledger()
    out = pushed.df.omni.reconcile(pushed.result, status)
    by_outcome = {
        o: set(out.loc[out["outcome"] == o, "id"]) for o in ("accepted", "rejected", "invalid")
    }
    assert by_outcome == expected(230)
    assert by_outcome["accepted"] == set(ledger["id"]) and (ledger["stored"] == 1).all()
    assert by_outcome["rejected"] == set(status.events["orderId"])
    assert len(out) == pushed.df["id"].nunique() and set(out["outcome"]) == set(by_outcome)
    # value: the source's own quantity × unitPrice, summed per order
    lines = (
        pushed.df.assign(v=pushed.df["quantity"] * pushed.df["unitPrice"]).groupby("id")["v"].sum()
    )
    assert out.set_index("id")["value"].to_dict() == pytest.approx(lines.to_dict())


def test_returns_are_matched_to_their_events():
    frame = mixed_orders(40).rename(columns={"id": "returnId"})
    frame["orderId"] = frame["returnId"].str.replace("V", "O")
    with omninb.Sandbox(catalog=CATALOG, rate_limit=None) as sb, sb.client(rate=None) as client:
        result = frame.omni.push(client, kind="returns", on_invalid="skip", progress=False)
        status = collect_status(client, result, poll_interval=0.05)
    out = frame.omni.reconcile(result, status)
    want = expected(40)
    assert set(out.loc[out["outcome"] == "rejected", "id"]) == want["rejected"]
    assert set(out.loc[out["outcome"] == "accepted", "id"]) == want["accepted"]


def test_orders_whose_answer_was_lost_are_uncertain_and_in_the_ledger():
    with (
        omninb.Sandbox(catalog=CATALOG, rate_limit=None, drop_after_rate=1.0, seed=1) as sb,
        sb.client(rate=None, retry=RetryPolicy(max_attempts=1)) as client,
    ):
        df = mixed_orders(20)
        result = df.omni.push(client, on_invalid="skip", progress=False)
        status = collect_status(client, result, wait=False)
        ledger = sb.ledger()
    out = df.omni.reconcile(result, status)
    uncertain = set(out.loc[out["outcome"] == "uncertain", "id"])
    assert uncertain == expected(20)["accepted"] | expected(20)["rejected"]
    assert set(ledger["id"]) == expected(20)["accepted"]  # they did land: that is why uncertain
