"""omninb.charts: each chart renders to PNG and its artists equal the data."""

from __future__ import annotations

import matplotlib
import pandas as pd
import pytest

from omninb import charts

matplotlib.use("Agg")
import matplotlib.pyplot as plt

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _png(ax, path):
    ax.figure.savefig(path)
    assert path.read_bytes()[:8] == PNG_MAGIC
    return path


def _events(reasons):
    return pd.DataFrame(
        {
            "jobId": "j",
            "level": ["WARNING"] * len(reasons) + ["INFO"],
            "reason": [*reasons, "just information"],
        }
    )


def test_failure_reasons_bars_equal_the_counts_most_frequent_on_top(tmp_path):
    events = _events(["No product ID {}"] * 5 + ["bad quantity {}"] * 2 + ["late"])
    ax = charts.failure_reasons(events)
    _png(ax, tmp_path / "reasons.png")
    widths = [p.get_width() for p in ax.patches]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert widths == [5, 2, 1]
    assert labels == ["No product ID {}", "bad quantity {}", "late"]  # INFO is not a failure
    assert ax.yaxis_inverted() and ax.get_title() == "Failure reasons"
    assert ax.get_xlabel() == "number of events"


def test_failure_reasons_of_an_outcome_frame_counts_failed_orders(tmp_path):
    frame = pd.DataFrame(
        {
            "outcome": ["accepted", "invalid", "rejected", "rejected", "not sent"],
            "reason": ["", "quantity: {}", "No product {}", "No product {}", ""],
        }
    )
    ax = charts.failure_reasons(frame)
    _png(ax, tmp_path / "orders.png")
    got = dict(
        zip(
            [t.get_text() for t in ax.get_yticklabels()],
            [p.get_width() for p in ax.patches],
            strict=True,
        )
    )
    assert got == {"No product {}": 2, "quantity: {}": 1, "(no reason given)": 1}
    # each bar in its outcome's colour: rejected red, invalid orange, not sent grey
    colors = [matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches]
    assert colors == [charts.OUTCOME_COLORS[o] for o in ("rejected", "invalid", "not sent")]
    assert ax.get_xlabel() == "number of orders"


def test_failure_reasons_folds_the_long_tail_into_one_bar(tmp_path):
    events = _events([f"reason {chr(97 + i)}" for i in range(6) for _ in range(6 - i)])
    ax = charts.failure_reasons(events, top=3)
    _png(ax, tmp_path / "tail.png")
    assert [p.get_width() for p in ax.patches] == [6, 5, 4 + 3 + 2 + 1]
    assert ax.get_yticklabels()[-1].get_text() == "4 other reasons"


def test_failure_reasons_without_failures_says_so(tmp_path):
    ax = charts.failure_reasons(_events([]))
    _png(ax, tmp_path / "none.png")
    assert not ax.patches and [t.get_text() for t in ax.texts] == ["No failures"]


def test_failure_reasons_draws_into_a_given_axes():
    _fig, (left, right) = plt.subplots(1, 2)
    assert charts.failure_reasons(_events(["x"]), ax=right) is right
    assert not left.patches and len(right.patches) == 1


OUTCOMES = pd.DataFrame(
    {
        "id": list("abcdefg"),
        "outcome": [
            "accepted",
            "accepted",
            "rejected",
            "accepted",
            "invalid",
            "accepted",
            "not sent",
        ],
        "storeId": ["S1", "S1", "S1", "S2", "S2", "S3", None],
        "dateTime": pd.to_datetime(
            ["2024-03-01 23:30", "2024-03-02 01:00", "2024-03-02 09:00"] * 2 + ["2024-03-03 10:00"]
        ).tz_localize("Asia/Tokyo"),
        "value": [10.0, 20.0, 5.0, 1.0, 2.0, 3.0, 4.0],
    }
)


def _stacks(ax):
    """{(x label, outcome): height} from the bar containers."""
    names = [t.get_text() for t in ax.get_xticklabels()]
    return {
        (names[i], container.get_label()): patch.get_height()
        for container in ax.containers
        for i, patch in enumerate(container.patches)
        if patch.get_height()
    }


def test_outcomes_by_store_stacks_counts_per_outcome(tmp_path):
    ax = charts.outcomes(OUTCOMES, by="storeId")
    _png(ax, tmp_path / "stores.png")
    assert _stacks(ax) == {
        ("S1", "accepted"): 2,
        ("S1", "rejected"): 1,
        ("S2", "accepted"): 1,
        ("S2", "invalid"): 1,
        ("S3", "accepted"): 1,
        ("unknown", "not sent"): 1,
    }
    assert ax.get_legend().get_title().get_text() == "outcome"
    assert ax.get_title() == "Order outcomes by store" and ax.get_ylabel() == "orders"


def test_outcomes_by_day_uses_the_orders_local_day_and_can_weigh_by_value(tmp_path):
    ax = charts.outcomes(OUTCOMES, by="day", measure="value")
    _png(ax, tmp_path / "days.png")
    assert _stacks(ax) == {
        ("2024-03-01", "accepted"): 10.0 + 1.0,
        ("2024-03-02", "accepted"): 20.0 + 3.0,
        ("2024-03-02", "rejected"): 5.0,
        ("2024-03-02", "invalid"): 2.0,
        ("2024-03-03", "not sent"): 4.0,
    }
    assert "value" in ax.get_ylabel()


def test_outcomes_by_day_reads_iso_strings_with_their_offsets():
    frame = OUTCOMES.assign(dateTime=["2024-03-01T23:30:00+09:00"] * 7)
    ax = charts.outcomes(frame, by="day")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2024-03-01"]


def test_outcomes_sums_the_smallest_stores_beyond_top():
    frame = pd.DataFrame(
        {
            "outcome": "accepted",
            "storeId": [f"S{i}" for i in range(5) for _ in range(5 - i)],
            "value": 1.0,
        }
    )
    ax = charts.outcomes(frame, top=3)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["S0", "S1", "3 other stores"]
    assert [p.get_height() for p in ax.patches] == [5, 4, 3 + 2 + 1]


def test_outcomes_refuses_an_unknown_grouping():
    with pytest.raises(ValueError, match="by='storeId'"):
        charts.outcomes(OUTCOMES, by="region")


def test_throughput_plots_orders_per_second_against_the_cap(tmp_path):
    # a request counts when it left; early on the window is the time elapsed (>= 1 s)
    start = pd.Timestamp("2024-03-01", tz="UTC")
    requests = pd.DataFrame(
        {
            "sent_at": [start, start + pd.Timedelta("0.5s"), start + pd.Timedelta("2.2s"), pd.NaT],
            "orders": [100, 50, 80, 100],
        }
    )
    ax = charts.throughput(requests, rate=100)
    _png(ax, tmp_path / "throughput.png")
    line, cap = ax.get_lines()
    assert list(line.get_xdata()) == [0.0, 0.5, 2.2]
    # 150 orders within the first second (over the cap); then (0.2 s, 2.2 s] holds 50 + 80 in 2 s
    assert list(line.get_ydata()) == [100.0, 150.0, 65.0]
    assert list(cap.get_ydata()) == [100, 100] and "rate cap (100 orders/s)" in cap.get_label()
    assert ax.get_ylabel() == "orders per second"


def test_throughput_of_batches_paced_at_the_cap_stays_at_the_cap():
    # 100-order batches leaving every 1.01 s: fixed 1-second bins would alias into 0/200
    start = pd.Timestamp("2024-03-01", tz="UTC")
    sent = [start + pd.Timedelta(seconds=1.01 * i) for i in range(25)]
    ax = charts.throughput(pd.DataFrame({"sent_at": sent, "orders": 100}), rate=100)
    line, _ = ax.get_lines()
    assert all(98 <= y <= 100 for y in line.get_ydata())


def test_throughput_averages_long_pushes_over_wider_windows():
    start = pd.Timestamp("2024-03-01", tz="UTC")
    seconds = range(0, 1200, 1)
    requests = pd.DataFrame(
        {"sent_at": [start + pd.Timedelta(seconds=s) for s in seconds], "orders": 90}
    )
    ax = charts.throughput(requests, rate=None)
    (line,) = ax.get_lines()
    assert len(line.get_xdata()) <= 1000
    assert set(line.get_ydata()) == {90.0}  # averaged, so the rate itself is kept
    assert "trailing 30 s" in line.get_label()


def test_outcomes_of_no_orders_says_so(tmp_path):
    ax = charts.outcomes(OUTCOMES.iloc[:0])
    _png(ax, tmp_path / "empty.png")
    assert not ax.patches and [t.get_text() for t in ax.texts] == ["No orders"]
