"""schemas: the cross-row rule (rows of one order agree) on every arrangement of rows.

validate compares adjacent rows when each order's rows are together and falls
back to comparing every row with its order's first row otherwise; both must
report exactly the rows a plain per-row comparison finds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from omninb import schemas


def _frame(ids: list[str | None], stores: list[str | None]) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame(
        {
            "id": pd.Series(ids, dtype="str"),
            "userId": "u1",
            "dateTime": "2024-05-01T10:00:00+02:00",
            "storeId": pd.Series(stores, dtype="str"),
            "productId": [f"p{i}" for i in range(n)],
            "quantity": 1,
            "unitPrice": 1.0,
        }
    )


def _disagreeing_rows(df: pd.DataFrame) -> list[int]:
    report = schemas.validate(df, "orders")
    return sorted(report.errors.loc[report.errors["check"] == "order_fields_agree", "row"])


def _reference(ids: list[str | None], stores: list[str | None]) -> list[int]:
    """Plain loop: a row disagrees when its store differs from its order's first row's."""
    first: dict[str, str | None] = {}
    out = []
    for row, (key, store) in enumerate(zip(ids, stores, strict=True)):
        if key is None:
            continue
        if key not in first:
            first[key] = store
        elif first[key] != store:
            out.append(row)
    return out


def test_a_change_inside_adjacent_rows_reports_every_row_after_it():
    ids = ["1", "1", "1", "1", "2"]
    stores = ["S1", "S1", "S2", "S2", "S9"]
    assert _disagreeing_rows(_frame(ids, stores)) == [2, 3]


def test_rows_of_an_order_apart_in_the_frame_are_compared_with_its_first_row():
    ids = ["1", "2", "1", "2"]
    stores = ["S1", "S2", "S3", "S2"]
    report = schemas.validate(_frame(ids, stores), "orders")
    [error] = report.errors.itertuples()
    assert (error.row, error.id, error.value) == (2, "1", "S3")
    assert "differs from 'S1' on row 0" in error.message


def test_an_empty_optional_value_next_to_a_filled_one_disagrees():
    assert _disagreeing_rows(_frame(["1", "1", "2", "2"], ["S1", None, None, None])) == [1]


def test_missing_money_on_every_row_of_an_order_agrees():
    df = _frame(["1", "1", "2", "2"], ["S1"] * 4)
    df["couponValue"] = [np.nan, np.nan, 2.5, 2.5]
    assert schemas.validate(df, "orders").ok
    df.loc[3, "couponValue"] = np.nan
    assert _disagreeing_rows(df) == [3]


def test_rows_without_an_id_between_rows_of_an_order_do_not_hide_a_disagreement():
    ids = ["1", None, "1"]
    rows = _disagreeing_rows(_frame(ids, ["S1", "S1", "S2"]))
    assert rows == [2]


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["1", "2", "3", None]), st.sampled_from(["S1", "S2", None])),
        min_size=1,
        max_size=12,
    ),
    grouped=st.booleans(),
)
def test_property_disagreements_are_exactly_the_plain_loops(rows, grouped):
    if grouped:  # the usual export: each order's rows together
        rows = sorted(rows, key=lambda r: (r[0] is None, r[0] or ""))
    ids, stores = [r[0] for r in rows], [r[1] for r in rows]
    assert _disagreeing_rows(_frame(ids, stores)) == _reference(ids, stores)
