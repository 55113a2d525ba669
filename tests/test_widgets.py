"""omninb.widgets: every dashboard control driven from Python on a real sandbox push."""

from __future__ import annotations

import ipywidgets
import pandas as pd
import pytest

import omninb
from omninb.retry import RetryPolicy
from omninb.status import collect_status
from omninb.widgets import ALL_REASONS, dashboard
from tests.views_data import CATALOG, expected, push_mixed

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
N = 60
GHOST_REASON = "No product is found for product ID {}"


@pytest.fixture
def pushed():
    with omninb.Sandbox(catalog=CATALOG, rate_limit=None) as sb, sb.client(rate=None) as client:
        yield push_mixed(sb, client, n=N)


@pytest.fixture
def board(pushed):
    status = collect_status(pushed.client, pushed.result, poll_interval=0.05)
    return dashboard(pushed.result, status, client=pushed.client, df=pushed.df)


def test_dashboard_is_a_vbox_of_standard_widgets_with_its_controls(board):
    assert isinstance(board, ipywidgets.VBox)
    for name, kind in [
        ("counters", ipywidgets.HTML),
        ("chart", ipywidgets.Image),
        ("reason_filter", ipywidgets.Dropdown),
        ("table", ipywidgets.HTML),
        ("refresh_button", ipywidgets.Button),
        ("save_button", ipywidgets.Button),
    ]:
        assert isinstance(getattr(board, name), kind), name
    assert board.chart.value[:8] == PNG_MAGIC


def test_counters_equal_the_outcomes(board):
    want = expected(N)
    assert board.dashboard.counts == {
        "accepted": len(want["accepted"]),
        "rejected": len(want["rejected"]),
        "invalid": len(want["invalid"]),
        "not sent": 0,
        "uncertain": 0,
    }
    assert f">{len(want['rejected'])}<" in board.counters.value


def test_reason_filter_narrows_the_table(board):
    want = expected(N)
    everything = set(board.dashboard.table_frame["id"])
    assert everything == want["rejected"] | want["invalid"]
    reasons = [value for _, value in board.reason_filter.options]
    assert reasons[0] == ALL_REASONS and GHOST_REASON in reasons
    board.reason_filter.value = GHOST_REASON
    assert set(board.dashboard.table_frame["id"]) == want["rejected"]
    assert board.table.value.count("<tr") == len(want["rejected"]) + 1  # plus the header row
    board.reason_filter.value = ALL_REASONS
    assert set(board.dashboard.table_frame["id"]) == everything


def test_chart_toggle_redraws_by_day(board):
    by_store = board.chart.value
    board.chart_by.value = "day"
    assert board.chart.value[:8] == PNG_MAGIC and board.chart.value != by_store


def test_save_button_writes_the_filtered_failed_orders_in_pos_columns(board, tmp_path):
    board.path.value = str(tmp_path / "out" / "failed.csv")
    board.reason_filter.value = GHOST_REASON
    board.save_button.click()
    saved = pd.read_csv(tmp_path / "out" / "failed.csv", dtype=str)
    assert set(saved["id"]) == expected(N)["rejected"]
    # every line of each order, so it can be fixed and pushed again as it was
    assert len(saved) == len(board.dashboard.df[board.dashboard.df["id"].isin(saved["id"])])
    assert set(saved["reason"]) == {GHOST_REASON}
    assert "Saved 6 failed order(s)" in board.message.value


def test_save_button_reports_an_unwritable_path(board, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    board.path.value = str(blocker / "failed.csv")  # a directory that is a file
    board.save_button.click()
    assert "Could not save" in board.message.value and board.dashboard.saved_path is None


def test_refresh_button_polls_again_and_updates_everything():
    with (
        omninb.Sandbox(catalog=CATALOG, rate_limit=None, status_delay=1.0) as sb,
        sb.client(rate=None) as client,
    ):
        pushed = push_mixed(sb, client, n=N)
        early = collect_status(client, pushed.result, wait=False)
        assert set(early.jobs["status"]) == {"RUNNING"}
        board = dashboard(pushed.result, early, client=client, df=pushed.df)
        assert board.dashboard.counts["uncertain"] == N - len(expected(N)["invalid"])
        chart_before = board.chart.value
        collect_status(client, pushed.result, poll_interval=0.05)  # until the sandbox has decided
        board.refresh_button.click()
    counts = board.dashboard.counts
    assert counts["uncertain"] == 0 and counts["rejected"] == len(expected(N)["rejected"])
    assert "Status refreshed" in board.message.value and not board.refresh_button.disabled
    assert board.chart.value != chart_before
    assert GHOST_REASON in [value for _, value in board.reason_filter.options]


def test_refresh_failure_is_shown_not_raised(pushed):
    status = collect_status(pushed.client, pushed.result, poll_interval=0.05)
    impatient = pushed.sandbox.client(retry=RetryPolicy(max_attempts=1))
    board = dashboard(pushed.result, status, client=impatient, df=pushed.df)
    pushed.sandbox.close()  # the gateway goes away: the status call cannot be answered
    board.refresh_button.click()
    impatient.close()
    assert (
        "Refresh failed" in board.message.value
        and "last known status is kept" in board.message.value
    )
    assert board.dashboard.counts["rejected"] == len(expected(N)["rejected"])  # kept as it was


def test_without_a_client_refresh_is_disabled_and_says_why(pushed):
    board = dashboard(pushed.result, None, df=pushed.df)
    assert board.refresh_button.disabled and "client=" in board.refresh_button.tooltip
    board.dashboard.refresh()
    assert "No client" in board.message.value


def test_without_the_source_frame_it_still_shows_outcomes_and_saves_them(pushed, tmp_path):
    status = collect_status(pushed.client, pushed.result, poll_interval=0.05)
    board = dashboard(pushed.result, status, path=str(tmp_path / "f.csv"))
    assert board.dashboard.counts["rejected"] == len(expected(N)["rejected"])
    board.save_button.click()
    saved = pd.read_csv(tmp_path / "f.csv", dtype=str)
    assert set(saved["id"]) == expected(N)["rejected"] | expected(N)["invalid"]
    assert {"outcome", "reason"} <= set(saved.columns)
