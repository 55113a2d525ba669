"""Hypothesis strategies for long order/return frames, clean and hostile (H's test helper).

``clean_frames`` gives valid long frames in the dtypes POS exports arrive in
(numeric or text ids, tz-aware timestamps or offset strings, segment lists or
"44|55" text). ``hostile_frames`` starts from one and breaks it: cells replaced
by wrong types, NaN, None, pd.NA, empty or unicode strings, huge or infinite
numbers, lists, dicts, naive timestamps; columns dropped, added or re-typed.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from omninb.fields import header_fields, line_fields

__all__ = ["clean_frames", "hostile_frames"]

_ZONES = [UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-5, minutes=-30))]
_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="|", exclude_categories=["Cs"]),
    min_size=1,
    max_size=12,
).filter(str.strip)


def _stamp() -> st.SearchStrategy[Any]:
    moments = st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2090, 1, 1),
        timezones=st.sampled_from(_ZONES),
    ).map(lambda d: d.replace(microsecond=0))
    return st.one_of(moments.map(pd.Timestamp), moments.map(lambda d: d.isoformat()))


@st.composite
def _order(draw: Any, kind: str, number: int) -> list[dict[str, Any]]:
    key = "id" if kind == "orders" else "returnId"
    ident: Any = draw(st.sampled_from([number + 1000, f"K{number}", float(number + 7)]))
    head: dict[str, Any] = {key: ident, "userId": draw(_text), "dateTime": draw(_stamp())}
    if kind == "returns":
        head["orderId"] = f"O{number}"
    optional = {
        "storeId": _text,
        "regionId": st.integers(-(2**40), 2**40),
        "segmentIds": st.one_of(
            st.lists(_text, min_size=1, max_size=3), st.just("44|55|3"), st.just(" 7 ")
        ),
        "currency": st.sampled_from(["USD", "EUR", "JPY"]),
        "channel": _text,
        "couponValue" if kind == "orders" else "returnValue": st.floats(0, 1e9),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            head[name] = draw(strategy)
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        line = {
            "productId": draw(st.one_of(_text, st.integers(1, 10**12))),
            "quantity": draw(st.integers(1, 10**6)),
            "unitPrice": draw(st.one_of(st.floats(0, 1e9), st.integers(0, 10**9))),
        }
        if draw(st.booleans()):
            line["skuId"] = draw(_text)
        lines.append({**head, **line})
    return lines


@st.composite
def clean_frames(draw: Any, kind: str = "orders", max_orders: int = 5) -> pd.DataFrame:
    """A valid long frame of 1..max_orders orders (rows of an order are contiguous)."""
    count = draw(st.integers(1, max_orders))
    rows = [row for n in range(count) for row in draw(_order(kind, n))]
    frame = pd.DataFrame(rows)
    fields = [f for f in (*header_fields(kind), *line_fields(kind)) if f in frame.columns]
    return frame[fields]


_HOSTILE = st.one_of(
    st.none(),
    st.just(math.nan),
    st.just(pd.NA),
    st.just(pd.NaT),
    st.sampled_from(["", "   ", "\t", "nan", "None", "NULL", "-1", "0", "1e400", "12.5"]),
    st.text(max_size=8),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, 2**53 + 1, 2**63, -(2**64), True, False]),
    st.floats(),  # inf, -inf, nan, subnormals, huge
    st.sampled_from([np.int64(3), np.float32(2.5), np.bool_(True), np.datetime64("2022-01-01")]),
    st.lists(st.one_of(st.integers(), st.text(max_size=3), st.none()), max_size=3),
    st.just({"a": 1}),
    st.just(("x", 1)),
    st.just(b"bytes"),
    st.sampled_from(
        [
            pd.Timestamp("2022-04-25 12:00"),  # naive
            pd.Timestamp("2022-04-25 12:00", tz="Asia/Tokyo"),
            "2022-04-25T12:00:00",  # no offset
            "2022-02-30T12:00:00+09:00",  # no such day
            "yesterday",
            "jane@example.com",
            "4111 1111 1111 1111",
            "XXX",
            "usd",
        ]
    ),
)
_DTYPES = st.sampled_from([None, "object", "string", "Int64", "float64", "category", "boolean"])


def _retype(frame: pd.DataFrame, column: str, dtype: str | None) -> pd.DataFrame:
    if dtype is None:
        return frame
    try:
        converted = frame[column].astype(dtype)
    except (TypeError, ValueError, OverflowError, Warning):
        return frame  # that column cannot take this dtype (or pandas warns it soon cannot)
    return frame.assign(**{column: converted})


@st.composite
def hostile_frames(draw: Any, kind: str = "orders") -> pd.DataFrame:
    """A frame that started valid and was broken in random places."""
    frame = draw(clean_frames(kind, max_orders=4)).astype(object)
    every = [*header_fields(kind), *line_fields(kind)]
    for _ in range(draw(st.integers(0, 6))):
        column = draw(st.sampled_from([*frame.columns, *every]))
        row = draw(st.integers(0, len(frame) - 1))
        if column not in frame.columns:
            frame[column] = None
        frame.iat[row, frame.columns.get_loc(column)] = draw(_HOSTILE)
    for column in draw(st.lists(st.sampled_from(list(frame.columns)), max_size=2, unique=True)):
        frame = frame.drop(columns=column)
    if draw(st.booleans()):
        value = draw(_HOSTILE)
        extra = pd.Series([value] * len(frame), index=frame.index, dtype=object)
        frame = frame.assign(**{"extra " + draw(st.text(max_size=5)): extra})
    for column in frame.columns:
        frame = _retype(frame, column, draw(_DTYPES))
    if draw(st.booleans()):
        frame.index = pd.Index(draw(st.lists(_text, min_size=len(frame), max_size=len(frame))))
    return frame
