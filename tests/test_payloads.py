"""payloads: long frames -> the reference's exact bodies, and back.

The expected bodies are the vendor reference's examples copied verbatim, with
DESIGN section 1's decisions applied: ids (id, orderId, returnId, productId)
as JSON strings. The long frames are written by hand the way a POS export
looks (numeric ids, one row per line item), not derived from the expectation.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import omninb
from omninb import payloads
from omninb.errors import ValidationError

# Orders example #1 (POST, offline) and #4 (POST, online): the bodies differ only in userId.
ORDERS_BATCH_JSON = """
[{"id": "123", "channel": "6a700f55b7059e38", "userId": "%s", "dateTime": "2022-04-25T12:21:55+09:00",
  "paymentMethod": "Credit card", "emailHash": "d12345gf345", "ccHash": "q1234rfgth", "storeId": "Store123",
  "regionId": -1, "segmentIds": ["44", "55", "3"], "segmentNames": ["seg1", "seg2", "seg3"],
  "currency": "USD", "couponCode": "RR01", "couponValue": 23.76,
  "lineItems": [{"productId": "4556", "skuId": "sku1", "quantity": 10, "unitPrice": 256.678},
                {"productId": "4557", "skuId": "sku2", "quantity": 10, "unitPrice": 356.678},
                {"productId": "4558", "skuId": "sku3", "quantity": 10, "unitPrice": 456.678}]},
 {"id": "1234", "channel": "6a700f55b7059e38", "userId": "userA2", "dateTime": "2022-04-25T14:30:25+09:00",
  "paymentMethod": "Credit card", "emailHash": "d123fgbnht545", "ccHash": "r4321weetgg", "storeId": "Store 234",
  "regionId": -1, "segmentIds": ["44", "55", "3"], "segmentNames": ["seg1", "seg2", "seg3"],
  "currency": "USD", "couponCode": "RR01", "couponValue": 23.76,
  "lineItems": [{"productId": "4556", "skuId": "sku1", "quantity": 10, "unitPrice": 256.678},
                {"productId": "4557", "skuId": "sku2", "quantity": 10, "unitPrice": 356.678},
                {"productId": "4558", "skuId": "sku3", "quantity": 10, "unitPrice": 456.678}]}]
"""
# Orders examples #2 and #3 (PUT, offline and online): identical bodies, no userId.
ORDER_SINGLE_JSON = """
{"id": "123", "channel": "6a700f55b7059e38", "dateTime": "2022-04-25T14:30:00+09:00",
 "paymentMethod": "Credit card", "emailHash": "emailHash", "ccHash": "credit card hash", "storeId": "Store ID",
 "regionId": -1, "segmentIds": ["44", "55", "3"], "segmentNames": ["seg1", "seg2", "seg3"],
 "currency": "USD", "couponCode": "RR01", "couponValue": 23.76,
 "lineItems": [{"productId": "4556", "skuId": "sku1", "quantity": 10, "unitPrice": 256.678},
               {"productId": "4557", "skuId": "sku2", "quantity": 10, "unitPrice": 356.678},
               {"productId": "4558", "skuId": "sku3", "quantity": 10, "unitPrice": 456.678}]}
"""
# Returns example #1 (POST) has userId; example #2 (PUT) is the same body without it.
RETURN_JSON = """
{"orderId": "13", "returnId": "15", "channel": "offline", %s"dateTime": "2023-03-09T14:30:00+09:00",
 "emailHash": "emailHash", "ccHash": "r4321weetgg", "storeId": "Store 234", "regionId": -1,
 "returnValue": 100.25, "segmentIds": ["44", "55", "3"], "segmentNames": ["seg1", "seg2", "seg3"],
 "currency": "EUR",
 "lineItems": [{"productId": "content__662", "skuId": "sku1", "quantity": 2, "unitPrice": 256.678, "creditType": "cash back"},
               {"productId": "content__680", "skuId": "sku2", "quantity": 2, "unitPrice": 356.678, "creditType": "cash back"},
               {"productId": "content__122", "skuId": "sku3", "quantity": 2, "unitPrice": 456.678, "creditType": "cash back"}]}
"""


def orders_long(first_user: str = "userA2") -> pd.DataFrame:
    """Examples #1/#4 as a POS export would hold them: numeric ids, segments as '|' text."""
    return pd.DataFrame(
        {
            "id": [123, 123, 123, 1234, 1234, 1234],
            "channel": ["6a700f55b7059e38"] * 6,
            "userId": [first_user] * 3 + ["userA2"] * 3,
            "dateTime": ["2022-04-25T12:21:55+09:00"] * 3 + ["2022-04-25T14:30:25+09:00"] * 3,
            "paymentMethod": ["Credit card"] * 6,
            "emailHash": ["d12345gf345"] * 3 + ["d123fgbnht545"] * 3,
            "ccHash": ["q1234rfgth"] * 3 + ["r4321weetgg"] * 3,
            "storeId": ["Store123"] * 3 + ["Store 234"] * 3,
            "regionId": [-1] * 6,
            "segmentIds": ["44|55|3"] * 6,
            "segmentNames": [["seg1", "seg2", "seg3"]] * 6,
            "currency": ["USD"] * 6,
            "couponCode": ["RR01"] * 6,
            "couponValue": [23.76] * 6,
            "productId": [4556, 4557, 4558] * 2,
            "skuId": ["sku1", "sku2", "sku3"] * 2,
            "quantity": [10] * 6,
            "unitPrice": [256.678, 356.678, 456.678] * 2,
        }
    )


def order_single_long() -> pd.DataFrame:
    """Examples #2/#3: the URL's user (userC2) is a column of the frame."""
    return pd.DataFrame(
        {
            "id": [123.0] * 3,  # a float id, as pandas reads a numeric column with gaps
            "channel": ["6a700f55b7059e38"] * 3,
            "userId": ["userC2"] * 3,
            "dateTime": pd.to_datetime(["2022-04-25 14:30:00"] * 3).tz_localize("Asia/Tokyo"),
            "paymentMethod": ["Credit card"] * 3,
            "emailHash": ["emailHash"] * 3,
            "ccHash": ["credit card hash"] * 3,
            "storeId": ["Store ID"] * 3,
            "regionId": [-1] * 3,
            "segmentIds": [[44, 55, 3]] * 3,
            "segmentNames": ["seg1|seg2|seg3"] * 3,
            "currency": ["USD"] * 3,
            "couponCode": ["RR01"] * 3,
            "couponValue": [23.76] * 3,
            "productId": [4556, 4557, 4558],
            "skuId": ["sku1", "sku2", "sku3"],
            "quantity": [10.0] * 3,
            "unitPrice": [256.678, 356.678, 456.678],
        }
    )


def returns_long() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "orderId": [13] * 3,
            "returnId": ["15"] * 3,
            "channel": ["offline"] * 3,
            "userId": ["user200322Z10"] * 3,
            "dateTime": ["2023-03-09T14:30:00+09:00"] * 3,
            "emailHash": ["emailHash"] * 3,
            "ccHash": ["r4321weetgg"] * 3,
            "storeId": ["Store 234"] * 3,
            "regionId": [-1] * 3,
            "returnValue": [100.25] * 3,
            "segmentIds": ["44|55|3"] * 3,
            "segmentNames": ["seg1|seg2|seg3"] * 3,
            "currency": ["EUR"] * 3,
            "productId": ["content__662", "content__680", "content__122"],
            "skuId": ["sku1", "sku2", "sku3"],
            "quantity": [2] * 3,
            "unitPrice": [256.678, 356.678, 456.678],
            "creditType": ["cash back"] * 3,
        }
    )


@pytest.mark.parametrize("user", ["userA2", "userA1"], ids=["example1-offline", "example4-online"])
def test_order_batch_examples_build_exactly(user):
    expected = json.loads(ORDERS_BATCH_JSON % user)
    assert payloads.build(orders_long(user), "orders") == expected
    assert orders_long(user).omni.payloads("orders") == expected


def test_order_single_examples_build_exactly_without_user_id():
    expected = json.loads(ORDER_SINGLE_JSON)
    assert payloads.build(order_single_long(), "orders", method="single") == [expected]
    assert order_single_long().omni.payloads("orders", method="single") == [expected]


def test_return_batch_example_builds_exactly():
    expected = json.loads(RETURN_JSON % '"userId": "user200322Z10", ')
    assert payloads.build(returns_long(), "returns") == [expected]


def test_return_single_example_builds_exactly_without_user_id():
    expected = json.loads(RETURN_JSON % "")
    assert returns_long().omni.payloads("returns", method="single") == [expected]


@pytest.mark.parametrize(
    ("kind", "bodies"),
    [
        ("orders", json.loads(ORDERS_BATCH_JSON % "userA1")),
        ("returns", [json.loads(RETURN_JSON % '"userId": "u9", ')]),
    ],
)
def test_to_long_then_build_gives_the_reference_bodies_back(kind, bodies):
    long = payloads.to_long(bodies, kind)
    assert len(long) == sum(len(b["lineItems"]) for b in bodies)
    assert payloads.build(long, kind) == bodies


def test_to_long_orders_columns_like_the_reference_and_repeats_order_fields():
    long = payloads.to_long(json.loads(ORDERS_BATCH_JSON % "userA1"), "orders")
    assert list(long.columns[:3]) == ["id", "channel", "userId"]
    assert list(long.columns[-4:]) == ["productId", "skuId", "quantity", "unitPrice"]
    assert long["id"].tolist() == ["123"] * 3 + ["1234"] * 3
    assert long["segmentIds"].iloc[4] == ["44", "55", "3"]


def test_the_payloads_serialise_to_json_without_nan_or_null():
    text = json.dumps(payloads.build(orders_long(), "orders"), allow_nan=False)
    assert "null" not in text
    assert '"id": "123"' in text and '"productId": "4556"' in text


def test_absent_optional_fields_are_left_out_not_sent_as_null():
    df = orders_long()
    df["couponCode"] = [None, None, None, "RR02", "RR02", "RR02"]
    df["couponValue"] = [np.nan] * 3 + [5.0] * 3
    df["skuId"] = ["sku1", None, "sku3", "", "sku2", "sku3"]
    bodies = payloads.build(df, "orders")
    assert "couponCode" not in bodies[0] and "couponValue" not in bodies[0]
    assert bodies[1]["couponCode"] == "RR02" and bodies[1]["couponValue"] == 5.0
    assert "skuId" not in bodies[0]["lineItems"][1]
    assert "skuId" not in bodies[1]["lineItems"][0]  # an empty string is absent, not ""


def test_ids_keep_every_digit_and_never_become_floats():
    df = orders_long()
    # an int beyond float precision, and a float id, in one object column (as pandas holds mixed input)
    df["id"] = pd.Series([9007199254740993] * 3 + [4556.0] * 3, dtype=object)
    df["productId"] = ["00123", "4557", "4558"] * 2
    bodies = payloads.from_valid(df, "orders")
    assert [b["id"] for b in bodies] == ["9007199254740993", "4556"]
    assert bodies[0]["lineItems"][0]["productId"] == "00123"


def test_money_is_sent_exactly_as_held_never_rounded():
    df = orders_long()
    df["unitPrice"] = [0.1 + 0.2, 1e-7, 123456789.123456, 0, 2, 3]
    items = payloads.from_valid(df, "orders")[0]["lineItems"]
    assert [i["unitPrice"] for i in items] == [0.1 + 0.2, 1e-7, 123456789.123456]
    assert json.dumps(items[0]["unitPrice"]) == "0.30000000000000004"


def test_quantity_is_an_int_even_from_a_float_column():
    items = payloads.from_valid(order_single_long(), "orders")[0]["lineItems"]
    assert all(type(i["quantity"]) is int for i in items)


def test_rows_of_one_order_are_grouped_in_row_order_when_split_in_the_frame():
    df = orders_long().iloc[[0, 3, 1, 4, 2, 5]]
    bodies = payloads.from_valid(df, "orders")
    assert [b["id"] for b in bodies] == ["123", "1234"]
    assert [i["productId"] for i in bodies[0]["lineItems"]] == ["4556", "4557", "4558"]


@pytest.mark.parametrize(
    ("stamp", "wire"),
    [
        (pd.Timestamp("2022-04-25 12:21:55", tz="America/New_York"), "2022-04-25T12:21:55-04:00"),
        (pd.Timestamp("2022-01-25 12:21:55", tz="America/New_York"), "2022-01-25T12:21:55-05:00"),
        (pd.Timestamp("2022-04-25 12:21:55.250", tz="UTC"), "2022-04-25T12:21:55.250000+00:00"),
        (pd.Timestamp("2022-04-25 12:21:55", tz="Asia/Kolkata"), "2022-04-25T12:21:55+05:30"),
    ],
)
def test_datetime_goes_out_with_its_utc_offset(stamp, wire):
    df = order_single_long()
    df["dateTime"] = stamp
    assert payloads.build(df, "orders")[0]["dateTime"] == wire


def test_datetimes_with_different_offsets_in_one_column_keep_each_offset():
    df = orders_long()
    df["dateTime"] = ["2022-04-25T12:21:55+09:00"] * 3 + ["2022-04-25T12:21:55-07:00"] * 3
    assert [b["dateTime"] for b in payloads.build(df, "orders")] == [
        "2022-04-25T12:21:55+09:00",
        "2022-04-25T12:21:55-07:00",
    ]


def test_segments_from_lists_numbers_and_delimited_text():
    values = pd.Series(
        ["44|55|3", " 44 | 55 ", [44, "55"], np.array(["1"]), 7, "", None], dtype=object
    )
    assert payloads.wire_values("segmentIds", values) == [
        ["44", "55", "3"],
        ["44", "55"],
        ["44", "55"],
        ["1"],
        ["7"],
        None,
        None,
    ]


def test_each_body_owns_its_segment_list():
    bodies = payloads.from_valid(orders_long(), "orders")
    bodies[0]["segmentIds"].append("99")
    assert bodies[1]["segmentIds"] == ["44", "55", "3"]


def test_invalid_rows_raise_validation_error_carrying_the_report():
    df = orders_long()
    df.loc[4, "quantity"] = 0
    with pytest.raises(ValidationError) as info:
        payloads.build(df, "orders")
    message = str(info.value)
    assert message.startswith("3 of 6 rows (1 of 2 orders) are invalid.")
    assert "Row 4 (order 1234), quantity" in message
    assert info.value.report.errors["row"].tolist() == [4]
    assert isinstance(info.value, omninb.OmniError)


def test_the_accessor_raises_the_same_error():
    df = returns_long()
    df["currency"] = "EURO"
    with pytest.raises(omninb.ValidationError, match="'EURO' is not an ISO 4217 currency code"):
        df.omni.payloads("returns")


def test_unknown_method_and_kind_are_refused():
    with pytest.raises(ValueError, match="method must be 'batch'"):
        payloads.build(orders_long(), "orders", method="put")
    with pytest.raises(ValueError, match="kind must be"):
        payloads.build(orders_long(), "order")


def test_empty_frame_gives_no_payloads():
    assert payloads.from_valid(orders_long().iloc[:0], "orders") == []
    assert payloads.to_long([], "returns").columns[0] == "orderId"


def test_from_valid_numbers_from_text_columns():
    df = orders_long().astype({"unitPrice": str, "quantity": str, "regionId": str})
    item = payloads.from_valid(df, "orders")[0]["lineItems"][0]
    assert item["unitPrice"] == 256.678 and item["quantity"] == 10
    assert not math.isnan(item["unitPrice"])


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="|"), min_size=1).filter(
    str.strip
)
_line = st.fixed_dictionaries(
    {
        "productId": _text,
        "quantity": st.integers(1, 10**6),
        "unitPrice": st.floats(0, 1e9, allow_nan=False, allow_infinity=False),
    },
    optional={"skuId": _text},
)
_order = st.fixed_dictionaries(
    {
        "userId": _text,
        "dateTime": st.datetimes(
            min_value=pd.Timestamp("2000-01-01").to_pydatetime(),
            max_value=pd.Timestamp("2099-01-01").to_pydatetime(),
            timezones=st.sampled_from(
                [
                    UTC,
                    timezone(timedelta(hours=9)),
                    timezone(timedelta(hours=-5, minutes=-30)),
                ]
            ),
        ).map(lambda d: d.replace(microsecond=0).isoformat()),
        "lineItems": st.lists(_line, min_size=1, max_size=4),
    },
    optional={
        "storeId": _text,
        "regionId": st.integers(-(2**40), 2**40),
        "segmentIds": st.lists(_text.map(str.strip), min_size=1, max_size=3),
        "currency": st.sampled_from(["USD", "EUR", "JPY"]),
        "couponValue": st.floats(0, 1e6, allow_nan=False, allow_infinity=False),
    },
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_order, min_size=1, max_size=5))
def test_build_inverts_to_long_for_any_valid_bodies(orders):
    bodies = [{"id": f"o{n}", **order} for n, order in enumerate(orders)]
    assert payloads.build(payloads.to_long(bodies, "orders"), "orders") == bodies
