"""PushResult: frames with fixed columns and dtypes, counts parsed from the API, readable reprs."""

import pandas as pd
import pytest

from omninb.result import (
    INVALID_COLUMNS,
    ORDER_COLUMNS,
    REQUEST_COLUMNS,
    PushResult,
    Summary,
    invalid_frame,
    orders_frame,
    parse_counts,
    requests_frame,
)


def raw_requests():
    return pd.DataFrame(
        {
            "request": [1, 2, 3],
            "orders": [2, 1, 1],
            "bytes": [800, 400, None],
            "status": [200, 503, None],
            "jobId": ["job-1", None, None],
            "message": ["Total records = 2. Success = 1. Failed = 1", "Service Unavailable", None],
            "attempts": [1, 8, None],
            "uncertain": [1, 0, 1],
            "sent_at": [1_700_000_000.5, 1_700_000_001.0, 1_700_000_002.0],
            "elapsed": [0.2, 3.5, None],
        }
    )


def raw_orders():
    return pd.DataFrame(
        {
            "id": ["A", "B", "C", "D"],
            "request": [1, 1, 2, None],
            "jobId": ["job-1", "job-1", None, None],
            "state": ["sent", "sent", "failed", "unsent"],
            "uncertain": [1, 1, 0, 0],
        }
    )


def sample(interrupted=False):
    bad = pd.DataFrame(
        {
            "row": [7, 8],
            "id": ["E", "E"],
            "column": ["quantity", "unitPrice"],
            "check": ["gt(0)", "finite"],
            "value": [0, float("nan")],
            "message": ["quantity must be > 0", "unitPrice must be finite"],
        }
    )
    return PushResult(
        "orders",
        "offline",
        "batch",
        requests=requests_frame(raw_requests()),
        orders=orders_frame(raw_orders()),
        invalid=invalid_frame(bad),
        interrupted=interrupted,
        journal="import.sqlite",
        elapsed=12.34,
    )


def test_frames_have_the_contract_columns_even_when_empty():
    empty = PushResult("returns", "online", "single")
    assert tuple(empty.requests.columns) == REQUEST_COLUMNS
    assert tuple(empty.orders.columns) == ORDER_COLUMNS
    assert tuple(empty.invalid.columns) == INVALID_COLUMNS
    assert empty.summary() == Summary()


def test_requests_frame_parses_counts_and_keeps_missing_answers_missing():
    frame = requests_frame(raw_requests())
    assert frame["success"].tolist()[0] == 1 and frame["failed"].tolist()[0] == 1
    assert frame["success"].isna().tolist() == [False, True, True]
    assert frame["status"].isna().tolist() == [False, False, True]
    assert frame["uncertain"].tolist() == [True, False, True]
    assert frame["sent_at"].iloc[0] == pd.Timestamp("2023-11-14 22:13:20.5", tz="UTC")
    assert str(frame["status"].dtype) == "Int64"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Total records = 100. Success = 97. Failed = 3", (97, 3)),
        ("Total records=5.Success=5.Failed=0", (5, 0)),
        ("No product is found for product ID 9", (None, None)),
    ],
)
def test_parse_counts(message, expected):
    row = parse_counts(pd.Series([message])).iloc[0]
    got = tuple(None if pd.isna(v) else int(v) for v in row)
    assert got == expected


def test_orders_frame_has_categorical_state_and_unsent_for_missing():
    raw = raw_orders()
    raw.loc[3, "state"] = None
    frame = orders_frame(raw)
    assert list(frame["state"].cat.categories) == ["sent", "failed", "unsent"]
    assert frame["state"].tolist() == ["sent", "sent", "failed", "unsent"]
    assert frame["request"].isna().tolist() == [False, False, False, True]


def test_summary_counts_states_invalid_orders_and_server_failures():
    s = sample().summary()
    assert (s.orders, s.sent, s.failed, s.unsent) == (4, 2, 1, 1)
    assert s.invalid == 1  # two bad rows of one order
    assert s.uncertain == 2
    assert s.requests == 3
    assert s.rejected_by_server == 1
    assert not s.complete


def test_summary_text_tells_what_to_do_when_something_is_left():
    text = str(sample(interrupted=True).summary())
    assert text.startswith("INTERRUPTED")
    assert "2 of 4 orders sent in 3 requests" in text
    assert "same journal" in text


def test_summaries_add_up_for_chunked_pushes():
    total = Summary(orders=3, sent=3, requests=1) + Summary(
        orders=2, sent=1, unsent=1, interrupted=True
    )
    assert (total.orders, total.sent, total.unsent, total.requests) == (5, 4, 1, 1)
    assert total.interrupted is True
    assert Summary(orders=2, sent=2).complete


def test_failures_are_the_requests_without_a_2xx_answer():
    assert sample().failures()["request"].tolist() == [2, 3]


def test_repr_and_html_are_readable():
    result = sample(interrupted=True)
    text = repr(result)
    assert (
        "kind='orders'" in text
        and "journal='import.sqlite'" in text
        and "2 of 4 orders sent" in text
    )
    page = result._repr_html_()
    assert "Interrupted" in page and "Service Unavailable" in page and "<table" in page


def test_invalid_frame_keeps_values_as_given():
    part = pd.DataFrame({c: [1] for c in INVALID_COLUMNS}).assign(id=[42], value=["x"])
    frame = invalid_frame(part, part.iloc[:0])
    assert frame["id"].tolist() == ["42"] and frame["value"].tolist() == ["x"]
