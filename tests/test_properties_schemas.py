"""Validation fuzz: any hostile frame gets a report, never an exception, and the report is consistent.

Frames come from fuzz_frames.hostile_frames: wrong dtypes, NaN, None, pd.NA,
mixed types, empty and unicode strings, huge values, missing and extra columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fuzz_frames import clean_frames, hostile_frames
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omninb.errors import OmniError
from omninb.schemas import ERROR_COLUMNS, validate

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
KINDS = st.sampled_from(["orders", "returns"])


def checked(df: pd.DataFrame, kind: str):
    """validate(df), failing the test with the frame if it raises anything but an OmniError."""
    try:
        return validate(df, kind)
    except OmniError:
        return None
    except Exception as exc:  # noqa: BLE001  (the property under test: nothing else may escape)
        pytest.fail(f"validate raised {type(exc).__name__}: {exc}\n{df!r}\n{df.dtypes!r}")


@FUZZ
@given(kind=KINDS, data=st.data())
def test_validate_never_raises_on_hostile_frames(kind, data):
    df = data.draw(hostile_frames(kind))
    report = checked(df, kind)
    assert report is not None  # validate reports bad rows; it has no reason to raise at all
    assert list(report.errors.columns) == list(ERROR_COLUMNS)
    assert report.ok == report.errors.empty
    assert len(report.valid) + len(report.invalid) == len(df)
    assert report.valid.index.intersection(report.invalid.index).empty or df.index.has_duplicates
    assert report.message() and report.summary() and report._repr_html_()
    if not report.ok:
        assert report.errors["message"].map(lambda m: isinstance(m, str) and len(m) > 10).all()


@FUZZ
@given(kind=KINDS, data=st.data())
def test_an_order_is_never_split_between_valid_and_invalid(kind, data):
    df = data.draw(hostile_frames(kind))
    report = checked(df, kind)
    key = "id" if kind == "orders" else "returnId"
    if key in df.columns:
        ids = lambda frame: set(frame[key].dropna().map(str))  # noqa: E731
        assert not ids(report.valid) & ids(report.invalid)


@settings(max_examples=60, deadline=None)
@given(kind=KINDS, data=st.data())
def test_clean_frames_are_valid(kind, data):
    # The generator's clean frames must pass, or the hostile ones would test nothing.
    report = checked(data.draw(clean_frames(kind)), kind)
    assert report.ok, report.errors.to_dict("records")


@pytest.mark.parametrize("bad_id", [{"a": 1}, ["x", 1], {"b"}])
def test_regression_an_unhashable_id_is_reported_not_raised(bad_id):
    # Found by the fuzz: a dict in returnId made pd.factorize raise TypeError.
    df = pd.DataFrame(
        {
            "orderId": ["O0", "O1"],
            "returnId": [bad_id, "R1"],
            "userId": ["u", "u"],
            "dateTime": ["2022-04-25T12:00:00+09:00"] * 2,
            "productId": ["p", "p"],
            "quantity": [1, 1],
            "unitPrice": [0.0, 1.0],
        }
    )
    report = validate(df, "returns")
    assert report.errors[["row", "column", "check"]].values.tolist() == [
        [0, "returnId", "identifier"]
    ]
    assert report.valid["returnId"].tolist() == ["R1"]


def test_regression_a_categorical_of_odd_values_is_checked_not_raised():
    # Found by the fuzz: comparing a categorical column row by row raised TypeError when a
    # category was a tuple; such a column is now checked the slow way.
    df = pd.DataFrame(
        {
            "id": ["1", "1", "2"],
            "userId": ["u", "u", "v"],
            "dateTime": ["2022-04-25T12:00:00+09:00"] * 3,
            "couponValue": pd.Series([("x", 1), 2.0, 3.0], dtype=object).astype("category"),
            "productId": ["p", "q", "r"],
            "quantity": [1, 1, 1],
            "unitPrice": [1.0, 1.0, 1.0],
        }
    )
    report = validate(df, "orders")
    assert set(report.errors["check"]) == {"money", "order_fields_agree"}
    assert report.valid["id"].tolist() == ["2"]


def test_regression_a_categorical_holding_a_tuple_is_reported_not_raised():
    # Found by the fuzz: pandas cannot hash tuple categories when pandera gathers failures.
    df = pd.DataFrame(
        {
            "id": [7.0, 7.0, 1001.0],
            "userId": ["u", "u", "v"],
            "dateTime": ["2022-04-25T12:00:00+09:00"] * 3,
            "productId": ["p", "q", "r"],
            "quantity": pd.Series([np.nan, ("x", 1), 5397], dtype=object).astype("category"),
            "unitPrice": [1.0, 2.0, 3.0],
        }
    )
    report = validate(df, "orders")
    assert report.errors[["row", "check"]].values.tolist() == [
        [0, "required"],
        [1, "positive_integer"],
    ]
    assert report.valid["id"].tolist() == [1001.0]


@pytest.mark.parametrize("when", [0, 1650856915, 12.5, np.int64(7)])
def test_regression_a_number_in_datetime_is_reported_as_a_number(when):
    # Found by the fuzz: pandas warned (an error here) that numbers in to_datetime(format=...)
    # will become epochs; pandera turned that into a failure case without a row, and
    # validate raised TypeError. A number is no date: it is now reported like any bad value.
    df = pd.DataFrame(
        {
            "id": ["1", "2"],
            "userId": ["u", "v"],
            "dateTime": pd.Series([when, "2022-04-25T12:00:00+09:00"], dtype=object),
            "productId": ["p", "q"],
            "quantity": [1, 1],
            "unitPrice": [1.0, 1.0],
        }
    )
    report = validate(df, "orders")
    assert report.errors[["row", "check"]].values.tolist() == [[0, "datetime_with_offset"]]
    assert "is a number, not a date and time" in report.errors["message"].iloc[0]
    assert report.valid["id"].tolist() == ["2"]
