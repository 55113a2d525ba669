"""omninb.status: reason normalisation, answers → frames, and polling on the sandbox."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import pytest

from omninb.status import (
    EVENT_COLUMNS,
    JOB_COLUMNS,
    collect_status,
    job_ids,
    report_from_answers,
)

# The three status answers printed in the vendor reference, verbatim.
REFERENCE = json.loads((Path(__file__).parent / "data" / "reference_status.json").read_text())


# --- answers → frames -------------------------------------------------------------------


def test_reference_answers_become_one_job_row_each():
    report = report_from_answers({a["summary"]["job-id"]: a for a in REFERENCE.values()})
    jobs = report.jobs.set_index("jobId")
    assert list(report.jobs.columns[: len(JOB_COLUMNS)]) == list(JOB_COLUMNS)
    warned = jobs.loc["63d13c0d-0167-11ee-b91c-b9178e343914"]
    assert (warned["status"], warned["total"], warned["success"], warned["failed"]) == (
        "PROCESSING_WITH_WARNING",
        2,
        1,
        1,
    )
    assert (warned["mode"], warned["type"]) == ("online", "orders")
    assert warned["created"] == pd.Timestamp("2023-06-02T17:03:26.298010900Z")
    assert jobs["final"].all() and report.complete


def test_reference_events_become_rows_with_order_and_reason():
    answer = REFERENCE["FAILED"]
    report = report_from_answers({"08ec06c1-0163-11ee-b91c-b9178e343914": answer})
    events = report.events
    assert list(events.columns[: len(EVENT_COLUMNS)]) == list(EVENT_COLUMNS)
    row = events.iloc[0]
    assert (row["level"], row["orderId"], row["mode"], row["type"]) == (
        "WARNING",
        "95189138",
        "offline",
        "orders",
    )
    assert row["reason"] == "No product is found for product ID {}"
    # the event's own fields are kept; its top-level "type" does not clobber attributes.type
    assert row["eventType"] == "Application" and row["taskId"].startswith("08ef8932")
    assert row["timestamp"] == pd.Timestamp("2023-06-02T16:32:15.838009900Z")


def test_unknown_fields_and_statuses_are_kept_not_crashed_on():
    answer = copy.deepcopy(REFERENCE["PROCESSING_WITH_WARNING"])
    answer["summary"]["job-status"] = "QUEUED_FOR_REVIEW"
    answer["summary"]["shard"] = "eu-1"
    answer["result"][0]["attributes"]["lineNumber"] = 3
    answer["result"][0]["attributes"]["type"] = "orders"
    answer["result"][0]["newField"] = {"nested": True}
    answer["result"].append({"message": "odd", "timestamp": "yesterday"})
    report = report_from_answers({"j": answer})
    assert report.jobs.loc[0, "status"] == "QUEUED_FOR_REVIEW"
    assert report.jobs.loc[0, "shard"] == "eu-1"
    assert not report.jobs.loc[0, "final"] and report.pending == ["j"]
    assert report.events.loc[0, "lineNumber"] == 3
    assert report.events.loc[0, "newField"] == {"nested": True}
    # an unparseable timestamp is shown as sent, not turned into NaT or an exception
    assert report.events["timestamp"].tolist()[1] == "yesterday"


def test_counts_fall_back_to_the_job_name_when_baggage_is_missing():
    answer = copy.deepcopy(REFERENCE["FAILED"])
    del answer["summary"]["job"]["baggage"]
    jobs = report_from_answers({"j": answer}).jobs
    assert jobs.loc[0, ["total", "success", "failed"]].tolist() == [1, 0, 1]


def test_a_job_that_could_not_be_read_is_a_row_with_its_error():
    report = report_from_answers({}, errors={"nope": "job nope was not found"})
    assert report.jobs.loc[0, "jobId"] == "nope"
    assert report.jobs.loc[0, "error"] == "job nope was not found"
    assert report.pending == ["nope"] and "pending=1" in repr(report)


def test_empty_report_has_the_contract_columns():
    report = report_from_answers({})
    assert list(report.jobs.columns[:9]) == list(JOB_COLUMNS)
    assert list(report.events.columns) == list(EVENT_COLUMNS)
    assert report.complete and "<table" in report._repr_html_()


def test_job_ids_are_distinct_in_order():
    assert job_ids(["b", "a", "b", None, ""]) == ["b", "a"]
    assert job_ids("single") == ["single"]


@pytest.mark.parametrize("bad", [{"timeout": -1}, {"poll_interval": -0.1}, {"max_workers": 0}])
def test_collect_status_refuses_nonsense_settings(bad):
    with pytest.raises(ValueError, match="collect_status needs"):
        collect_status(None, ["j"], **bad)  # type: ignore[arg-type]


# --- on the sandbox: pagination, polling, timeouts, errors ------------------------------

import logging  # noqa: E402
import threading  # noqa: E402

import omninb  # noqa: E402
from omninb.errors import AuthError  # noqa: E402
from tests.views_data import CATALOG, expected, push_mixed  # noqa: E402


def test_every_event_is_collected_across_many_pages():
    with omninb.Sandbox(catalog=[], rate_limit=None) as sb, sb.client(rate=None) as client:
        pushed = push_mixed(sb, client, n=90)  # no catalog entry: every sent order is rejected
        report = collect_status(client, pushed.result, rows=7, poll_interval=0.05)
    sent = set(pushed.result.orders["id"])
    assert len(report.jobs) == 1 and report.jobs.loc[0, "failed"] == len(sent) > 7 * 10
    assert len(report.events) == len(sent)
    assert set(report.events["orderId"]) == sent
    assert set(report.events["reason"]) == {"No product is found for product ID {}"}


def test_polls_until_every_job_is_final():
    with (
        omninb.Sandbox(catalog=CATALOG, rate_limit=None, status_delay=2.0) as sb,
        sb.client(rate=None) as client,
    ):
        pushed = push_mixed(sb, client, n=250)  # three batch requests, three jobs
        first = collect_status(client, pushed.result, wait=False)
        final = collect_status(client, pushed.result, poll_interval=0.05, timeout=60)
    assert set(first.jobs["status"]) == {"RUNNING"} and first.events.empty
    assert len(first.pending) == 3 and not first.jobs["final"].any()
    assert final.complete and set(final.jobs["status"]) == {"PROCESSING_WITH_WARNING"}
    assert final.jobs["failed"].sum() == len(final.events) == len(expected(250)["rejected"])
    assert list(final.jobs["jobId"]) == list(pushed.result.requests["jobId"])


def test_timeout_returns_what_it_has_marks_the_rest_and_says_so(caplog):
    with (
        omninb.Sandbox(catalog=CATALOG, rate_limit=None, status_delay=60) as sb,
        sb.client(rate=None) as client,
    ):
        pushed = push_mixed(sb, client, n=30)
        with caplog.at_level(logging.WARNING, logger="omninb.status"):
            report = collect_status(client, pushed.result, timeout=0.3, poll_interval=0.1)
    assert report.pending == list(pushed.result.requests["jobId"])
    assert report.jobs.loc[0, "status"] == "RUNNING" and not report.jobs.loc[0, "final"]
    assert "1 of 1 job(s) have no final status after waiting 0.3 s" in caplog.text
    assert report.pending[0] in caplog.text


def test_an_unknown_job_is_reported_not_raised(sandbox):
    with sandbox.client() as client:
        report = collect_status(client, ["no-such-job"], wait=False)
    assert report.jobs.loc[0, "jobId"] == "no-such-job"
    assert "no-such-job" in report.jobs.loc[0, "error"] and report.pending == ["no-such-job"]


def test_refused_credentials_stop_the_collection(sandbox):
    creds = sandbox.credentials
    client = omninb.Client(
        api_key=creds["api_key"],
        client_id=creds["client_id"],
        client_secret="not-the-secret",
        base_url=sandbox.url,
    )
    with client, pytest.raises(AuthError) as caught:
        collect_status(client, ["any-job"])
    assert "not-the-secret" not in str(caught.value)


class _Counting:
    """A real client, with the number of job_events calls in flight recorded."""

    def __init__(self, client):
        self.client, self.now, self.most = client, 0, 0
        self.lock = threading.Lock()

    def job_events(self, job_id, **kwargs):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            return self.client.job_events(job_id, **kwargs)
        finally:
            with self.lock:
                self.now -= 1


def test_concurrency_is_bounded_by_max_workers():
    with omninb.Sandbox(rate_limit=None, latency=0.05) as sb, sb.client(rate=None) as client:
        pushed = push_mixed(sb, client, n=120, method="single", max_workers=16)
        counting = _Counting(client)
        report = collect_status(counting, pushed.result, max_workers=3, poll_interval=0.05)
    assert len(report.jobs) == len(pushed.result.requests) == 120 - len(expected(120)["invalid"])
    assert report.complete and counting.most == 3


def test_merged_keeps_the_last_known_status_of_jobs_a_refresh_could_not_read():
    old = report_from_answers({"a": REFERENCE["PROCESSING"], "b": REFERENCE["FAILED"]})
    a, b = old.jobs["jobId"]
    newer = report_from_answers({a: REFERENCE["PROCESSING"]}, errors={b: "connection refused"})
    merged = old.merged(newer)
    assert list(merged.jobs["jobId"]) == [a, b]
    assert (
        merged.jobs.loc[1, "status"] == "FAILED"
        and merged.jobs.loc[1, "error"] == "connection refused"
    )
    assert len(merged.events) == len(old.events) == 1
    assert merged.errors["jobId"].tolist() == [b]


# --- omninb status JOB_ID... -----------------------------------------------------------------

from omninb.cli import main  # noqa: E402


def _env(monkeypatch, sb):
    creds = sb.credentials
    monkeypatch.setenv("OMNI_BASE_URL", sb.url)
    monkeypatch.setenv("OMNI_API_KEY", creds["api_key"])
    monkeypatch.setenv("OMNI_CLIENT_ID", creds["client_id"])
    monkeypatch.setenv("OMNI_CLIENT_SECRET", creds["client_secret"])


def test_status_command_prints_jobs_and_events_and_writes_csv(monkeypatch, capsys, tmp_path):
    with omninb.Sandbox(catalog=CATALOG, rate_limit=None) as sb, sb.client(rate=None) as client:
        pushed = push_mixed(sb, client, n=150)
        _env(monkeypatch, sb)
        jobs = list(pushed.result.requests["jobId"])
        code = main(
            [
                "status",
                *jobs,
                "--poll-interval",
                "0.05",
                "--max-events",
                "3",
                "--csv",
                str(tmp_path),
            ]
        )
    out = capsys.readouterr().out
    assert code == 1  # some records failed
    assert all(job in out for job in jobs) and "PROCESSING_WITH_WARNING" in out
    assert "No product is found for product ID {}" in out
    assert f"and {len(expected(150)['rejected']) - 3:,} more" in out
    events = pd.read_csv(tmp_path / "events.csv", dtype=str)
    assert set(events["orderId"]) == expected(150)["rejected"]
    assert sb.credentials["client_secret"] not in out


def test_status_command_exits_zero_when_every_record_was_taken(monkeypatch, capsys):
    with omninb.Sandbox(rate_limit=None) as sb, sb.client(rate=None) as client:
        pushed = push_mixed(sb, client, n=20)  # no catalog: every valid order is taken
        _env(monkeypatch, sb)
        code = main(["status", *pushed.result.requests["jobId"], "--no-wait"])
    assert code == 0 and "PROCESSING" in capsys.readouterr().out


def test_status_command_without_credentials_says_what_to_set(monkeypatch, capsys):
    for name in (
        "OMNI_API_KEY",
        "OMNI_CLIENT_ID",
        "OMNI_CLIENT_SECRET",
        "OMNI_BASE_URL",
        "OMNI_ENV",
    ):
        monkeypatch.delenv(name, raising=False)
    assert main(["status", "some-job"]) == 1
    assert "OMNI_" in capsys.readouterr().err
