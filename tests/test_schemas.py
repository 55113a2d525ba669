"""schemas.validate: every rule fails on a bad value with the message a user reads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import omninb
from omninb import schemas
from omninb.schemas import ERROR_COLUMNS, ValidationReport


def good_orders() -> pd.DataFrame:
    """Two clean orders (ids 1 and 2) of two lines each, index labels 10..13."""
    return pd.DataFrame(
        {
            "id": ["1", "1", "2", "2"],
            "userId": ["u1", "u1", "u2", "u2"],
            "dateTime": ["2024-05-01T10:00:00+02:00"] * 2 + ["2024-05-01T11:00:00+02:00"] * 2,
            "storeId": ["S1", "S1", "S2", "S2"],
            "regionId": [-1, -1, 3, 3],
            "currency": ["EUR", "EUR", "USD", "USD"],
            "segmentIds": ["44|55", "44|55", None, None],
            "emailHash": ["973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"] * 4,
            "ccHash": ["q1234rfgth"] * 4,
            "couponValue": [1.5, 1.5, np.nan, np.nan],
            "productId": ["p1", "p2", "p1", "p3"],
            "quantity": [1, 2, 3, 4],
            "unitPrice": [9.99, 0.0, 5.0, 1.25],
        },
        index=[10, 11, 12, 13],
    )


def only_error(df: pd.DataFrame, kind: str = "orders") -> pd.Series:
    report = schemas.validate(df, kind)
    assert len(report.errors) == 1, report.errors.to_string()
    return report.errors.iloc[0]


def test_clean_frame_is_ok_and_entirely_valid():
    report = good_orders().omni.validate("orders")
    assert report.ok
    assert report.errors.empty and list(report.errors.columns) == list(ERROR_COLUMNS)
    assert report.valid.index.tolist() == [10, 11, 12, 13] and report.invalid.empty


def test_one_bad_line_makes_its_whole_order_invalid_and_keeps_the_others():
    df = good_orders()
    df.loc[12, "quantity"] = 0
    report = schemas.validate(df, "orders")
    assert not report.ok
    assert report.invalid.index.tolist() == [12, 13]
    assert report.valid.index.tolist() == [10, 11]
    assert report.valid.equals(df.loc[[10, 11]])


def test_error_row_is_the_input_index_label_and_id_the_order():
    df = good_orders()
    df.loc[13, "unitPrice"] = -2.0
    error = only_error(df)
    assert (error.row, error.id, error.column, error.check, error.value) == (
        13,
        "2",
        "unitPrice",
        "money",
        -2.0,
    )
    assert error.message == (
        "Row 13 (order 2), unitPrice: unitPrice must be a finite amount of 0 or more, got -2.0; "
        "write a plain number such as 256.678 (no currency sign, no thousands separator)."
    )


def test_missing_mandatory_column_invalidates_every_row():
    error = only_error(good_orders().drop(columns="userId"))
    assert (error.row, error.column, error.check) == (None, "userId", "column_present")
    assert error.message == (
        "Column userId: userId is missing and is mandatory for orders; add the column or map your "
        "POS column to it, e.g. read_pos(..., columns={'<POS column>': 'userId'})."
    )
    assert schemas.validate(good_orders().drop(columns="userId"), "orders").valid.empty


@pytest.mark.parametrize("empty", [None, np.nan, "", "   "])
def test_required_field_empty(empty):
    df = good_orders().astype({"userId": object})
    df.loc[[10, 11], "userId"] = empty
    errors = schemas.validate(df, "orders").errors
    assert errors["check"].tolist() == ["required", "required"]
    assert errors["message"].iloc[0] == (
        "Row 10 (order 1), userId: userId is empty but mandatory; fill it in the export or drop the line. "
        "The API files every order under a shopper: use the POS customer or loyalty id."
    )


def test_identifier_that_lost_digits_as_a_float():
    df = good_orders().astype({"productId": object})
    df.loc[11, "productId"] = 12.5
    error = only_error(df)
    assert error.check == "identifier"
    assert error.message.startswith("Row 11 (order 1), productId: 12.5 is not a usable identifier")
    assert "read_pos reads id columns as text" in error.message


def test_integral_float_ids_are_fine_but_huge_ones_are_not():
    df = good_orders()
    df["id"] = [1.0, 1.0, 2.0**60, 2.0**60]
    errors = schemas.validate(df, "orders").errors
    assert errors["row"].tolist() == [12, 13] and set(errors["check"]) == {"identifier"}


def test_naive_timestamp_says_to_add_an_offset_or_pass_tz():
    df = good_orders()
    df["dateTime"] = ["2024-05-01T10:00:00+02:00"] * 2 + ["2024-05-01T11:00:00"] * 2
    errors = schemas.validate(df, "orders").errors
    assert errors["check"].tolist() == ["datetime_with_offset"] * 2
    assert (
        errors["message"]
        .iloc[0]
        .startswith(
            "Row 12 (order 2), dateTime: 2024-05-01T11:00:00 has no UTC offset, so the API cannot place it in time; "
            "write it like 2022-04-25T14:30:00+09:00, or pass the stores' time zone to read_pos(..., tz='Asia/Tokyo')."
        )
    )


def test_naive_datetime_column_fails_every_row():
    df = good_orders()
    df["dateTime"] = pd.Timestamp("2024-05-01 10:00")
    assert schemas.validate(df, "orders").errors["check"].tolist() == ["datetime_with_offset"] * 4


def test_unparseable_timestamp():
    df = good_orders()
    df["dateTime"] = ["yesterday"] * 2 + ["2024-05-01T11:00:00+02:00"] * 2
    errors = schemas.validate(df, "orders").errors
    assert errors["message"].iloc[0] == (
        "Row 10 (order 1), dateTime: 'yesterday' is not a date and time; "
        "write it in ISO 8601 like 2022-04-25T14:30:00+09:00."
    )


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "two"])
def test_quantity_must_be_a_positive_whole_number(quantity):
    df = good_orders().astype({"quantity": object})
    df.loc[11, "quantity"] = quantity
    error = only_error(df)
    assert error.check == "positive_integer"
    assert error.message == (
        f"Row 11 (order 1), quantity: quantity must be a whole number of at least 1, got {quantity!r}; "
        "correct the line or drop it."
    )


@pytest.mark.parametrize("price", [-0.01, np.inf, "12,50", "$3"])
def test_money_must_be_finite_and_not_negative(price):
    df = good_orders().astype({"unitPrice": object})
    df.loc[10, "unitPrice"] = price
    error = only_error(df)
    assert (error.check, error.column) == ("money", "unitPrice")
    assert f"got {price!r}" in error.message


def test_money_written_as_text_numbers_is_accepted():
    df = good_orders().astype({"unitPrice": str, "couponValue": str})
    assert schemas.validate(df, "orders").ok


def test_optional_money_field_checked_when_present():
    df = good_orders()
    df["couponValue"] = [-1.0, -1.0, np.nan, np.nan]
    errors = schemas.validate(df, "orders").errors
    assert (
        errors["check"].tolist() == ["money", "money"] and errors["column"].iloc[0] == "couponValue"
    )


def test_region_id_must_be_whole():
    df = good_orders()
    df["regionId"] = [-1.5, -1.5, 3, 3]
    errors = schemas.validate(df, "orders").errors
    assert (
        errors["message"].iloc[0]
        == "Row 10 (order 1), regionId: regionId must be a whole number such as -1, got -1.5."
    )


@pytest.mark.parametrize("currency", ["usd", "EURO", "XYZ", "$"])
def test_currency_must_be_iso_4217(currency):
    df = good_orders()
    df.loc[[12, 13], "currency"] = currency
    errors = schemas.validate(df, "orders").errors
    assert errors["check"].tolist() == ["iso_4217", "iso_4217"]
    assert errors["message"].iloc[0] == (
        f"Row 12 (order 2), currency: {currency!r} is not an ISO 4217 currency code; use the upper-case "
        "three-letter code (USD, EUR, JPY, ...) or leave it empty for the default USD."
    )


def test_segment_list_must_hold_texts_or_numbers():
    df = good_orders().astype({"segmentIds": object})
    df["segmentIds"] = [{"a": 1}, {"a": 1}, ["1", 2], ["1", 2]]
    errors = schemas.validate(df, "orders").errors
    assert errors["check"].tolist() == ["segment_list", "segment_list"]
    assert errors["message"].iloc[0] == (
        "Row 10 (order 1), segmentIds: {'a': 1} is not a segment list; use a list like ['44', '55'] or text like '44|55|3'."
    )


def test_pii_guard_refuses_a_raw_email_and_does_not_repeat_it():
    df = good_orders()
    df.loc[[10, 11], "emailHash"] = " Jane.Doe@Example.com"
    report = schemas.validate(df, "orders")
    errors = report.errors
    assert errors["check"].tolist() == ["not_raw_email"] * 2
    assert errors["value"].iloc[0] == "J***@Example.com"
    assert errors["message"].iloc[0] == (
        "Row 10 (order 1), emailHash: holds a raw e-mail address (J***@Example.com), which must never be sent; "
        "hash it first: df['emailHash'] = omninb.hash_email(df['emailHash'])."
    )
    assert "Jane.Doe" not in report.errors.to_string() + report._repr_html_() + repr(report)
    assert report.valid.index.tolist() == [12, 13]


@pytest.mark.parametrize(
    "card", ["4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004", 378282246310005]
)
def test_pii_guard_refuses_a_card_number(card):
    df = good_orders().astype({"ccHash": object})
    df.loc[[12, 13], "ccHash"] = card
    errors = schemas.validate(df, "orders").errors
    assert errors["check"].tolist() == ["not_card_number"] * 2
    last4 = str(card)[-4:]
    assert errors["value"].iloc[0].endswith(last4) and str(card) not in errors["message"].iloc[0]
    assert "which must never be sent" in errors["message"].iloc[0]


def test_digits_failing_luhn_or_too_short_are_not_cards():
    df = good_orders()
    df["ccHash"] = ["4111111111111112", "4111111111111112", "411111111111", "411111111111"]
    assert schemas.validate(df, "orders").ok


def test_rows_of_one_order_must_agree_and_the_error_names_both_rows():
    df = good_orders()
    df.loc[13, "storeId"] = "S9"
    error = only_error(df)
    assert (error.row, error.id, error.check, error.value) == (13, "2", "order_fields_agree", "S9")
    assert error.message == (
        "Row 13 (order 2), storeId: 'S9' differs from 'S2' on row 12, the first row of this order. "
        "All rows of one order must agree on storeId: correct the export, or give this line its own id "
        "if it belongs to another order."
    )


def test_same_instant_written_with_another_offset_agrees():
    df = good_orders()
    df["dateTime"] = ["2024-05-01T10:00:00+02:00", "2024-05-01T08:00:00+00:00"] + [
        "2024-05-01T11:00:00+02:00"
    ] * 2
    assert schemas.validate(df, "orders").ok


def test_an_empty_value_is_not_reported_twice():
    df = good_orders()
    df.loc[11, "userId"] = None
    assert only_error(df).check == "required"


def test_returns_are_keyed_by_return_id():
    df = pd.DataFrame(
        {
            "orderId": ["7", "7", "7"],
            "returnId": ["r1", "r1", "r2"],
            "userId": ["u"] * 3,
            "dateTime": ["2024-05-01T10:00:00Z"] * 3,
            "returnValue": [5.0, 6.0, 1.0],
            "productId": ["p"] * 3,
            "quantity": [1, 1, 1],
            "unitPrice": [1.0] * 3,
        }
    )
    error = only_error(df, "returns")
    assert error.message.startswith("Row 1 (return r1), returnValue: 6.0 differs from 5.0 on row 0")
    assert "give this line its own returnId if it belongs to another return" in error.message


def test_report_summary_message_and_html():
    df = good_orders()
    df.loc[10, "quantity"] = 0
    df.loc[12, "currency"] = "usd"
    df.loc[13, "currency"] = "usd"
    report = schemas.validate(df, "orders")
    assert isinstance(report, omninb.ValidationReport) and isinstance(report, ValidationReport)
    assert (
        report.summary()
        == "orders: 0 valid rows, 4 invalid rows, 3 problems\n  iso_4217: 2\n  positive_integer: 1"
    )
    assert report.message().startswith(
        "4 of 4 rows (2 of 2 orders) are invalid. 3 problems; the first: Row 10 (order 1)"
    )
    page = report._repr_html_()
    assert "Validation failed" in page and "<table" in page and "positive_integer" in page
    assert "Validation passed" in schemas.validate(good_orders(), "orders")._repr_html_()


def test_html_escapes_cell_values():
    df = good_orders()
    df.loc[[10, 11], "currency"] = "<b>"
    assert "&lt;b&gt;" in schemas.validate(df, "orders")._repr_html_()


def test_unknown_kind_and_non_frames_are_refused():
    with pytest.raises(ValueError, match="kind must be"):
        schemas.validate(good_orders(), "sales")
    with pytest.raises(TypeError, match="expects a pandas DataFrame"):
        schemas.validate([{"id": 1}], "orders")


def test_duplicate_index_labels_still_split_correctly():
    df = good_orders()
    df.index = [0, 0, 1, 1]
    df.iloc[3, df.columns.get_loc("quantity")] = -5
    report = schemas.validate(df, "orders")
    assert report.errors["row"].tolist() == [1]
    assert report.valid["id"].tolist() == ["1", "1"] and report.invalid["id"].tolist() == ["2", "2"]


def test_rows_without_any_id_are_reported_not_crashed_on():
    df = good_orders()
    df["id"] = None
    report = schemas.validate(df, "orders")
    assert report.errors["check"].tolist() == ["required"] * 4
    assert (
        report.errors["message"]
        .iloc[0]
        .startswith("Row 10 (order <no id>), id: id is empty but mandatory")
    )
    assert report.valid.empty


def test_empty_frame_with_all_columns_is_ok_and_without_columns_is_not():
    assert schemas.validate(good_orders().iloc[:0], "orders").ok
    report = schemas.validate(pd.DataFrame(), "returns")
    assert report.errors["column"].tolist() == [
        "orderId",
        "returnId",
        "userId",
        "dateTime",
        "productId",
        "quantity",
        "unitPrice",
    ]
