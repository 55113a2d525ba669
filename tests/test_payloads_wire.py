"""payloads: the fast column conversions give what a per-value conversion gives.

Text columns take one of two paths (mostly distinct values convert directly;
repeated ones convert each distinct value once), timestamps are formatted by
Arrow, and bodies are built with the GC paused. Each is checked here against a
straightforward per-value reference on frames large enough to pick the path.
"""

from __future__ import annotations

import gc
import json
import threading
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omninb import payloads
from omninb.fields import header_fields


def _reference_text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value if str(value).strip() else None  # type: ignore[return-value]


@pytest.mark.parametrize("distinct", [True, False], ids=["ids", "repeated"])
@pytest.mark.parametrize("dtype", ["str", "string", object])
def test_text_column_with_blanks_and_gaps_converts_like_each_value_alone(distinct, dtype):
    n = 3_000
    values: list[object] = [f"id{i}" if distinct else f"S{i % 7}" for i in range(n)]
    for pos, gap in [(5, ""), (1_500, "   "), (2_999, None), (0, None), (2_000, " x ")]:
        values[pos] = gap
    series = pd.Series(values, dtype=dtype)
    assert payloads.wire_values("storeId", series) == [_reference_text(v) for v in values]


def test_repeated_text_values_are_left_out_where_blank_and_kept_elsewhere():
    n = 2_000
    df = pd.DataFrame(
        {
            "id": [str(i) for i in range(n)],
            "productId": "p",
            "quantity": 1,
            "couponCode": pd.Series(["RR01", " ", None, "RR02"] * (n // 4), dtype="str"),
        }
    )
    bodies = payloads.from_valid(df, "orders")
    assert [b.get("couponCode") for b in bodies[:4]] == ["RR01", None, None, "RR02"]
    assert ["couponCode" in b for b in bodies[:4]] == [True, False, False, True]
    assert "null" not in json.dumps(bodies)


def test_keys_follow_the_reference_order_even_when_optional_fields_have_gaps():
    df = pd.DataFrame(
        {
            "currency": ["USD", None],
            "id": ["1", "2"],
            "storeId": [None, "S1"],
            "userId": ["u", "u"],
            "productId": ["p", "q"],
            "quantity": [1, 2],
        }
    )
    first, second = payloads.from_valid(df, "orders")
    order = [*header_fields("orders"), "lineItems"]
    assert (
        list(first) == [f for f in order if f in first] == ["id", "userId", "currency", "lineItems"]
    )
    assert list(second) == ["id", "userId", "storeId", "lineItems"]


def test_each_body_owns_its_line_item_list():
    df = pd.DataFrame({"id": ["1", "1", "2"], "productId": ["a", "b", "c"], "quantity": [1, 2, 3]})
    first, second = payloads.from_valid(df, "orders")
    first["lineItems"].append({"productId": "z"})
    assert [i["productId"] for i in second["lineItems"]] == ["c"]
    assert len(first["lineItems"]) == 3


_ZONES = ["Europe/Paris", "Asia/Tokyo", "America/St_Johns", "UTC", "Asia/Kathmandu"]


@settings(max_examples=60, deadline=None)
@given(
    seconds=st.lists(st.integers(-(10**9), 2 * 10**9), min_size=1, max_size=40),
    micros=st.booleans(),
    zone=st.sampled_from(_ZONES),
    gap=st.booleans(),
)
def test_property_datetimes_match_isoformat_of_each_value(seconds, micros, zone, gap):
    # Whole seconds go out without a fraction; if any value has one, all carry microseconds.
    stamps = [
        pd.Timestamp(s, unit="s", tz="UTC").tz_convert(zone)
        + pd.Timedelta(microseconds=250 * micros)
        for s in seconds
    ]
    values: list[pd.Timestamp | None] = [*stamps, None] if gap else list(stamps)
    series = pd.Series(pd.array(values, dtype=f"datetime64[us, {zone}]"))
    spec = "microseconds" if micros else "seconds"
    expected = [None if v is None else v.isoformat(timespec=spec) for v in values]
    assert payloads.wire_values("dateTime", series) == expected


def test_datetimes_across_a_daylight_saving_change_keep_each_offset():
    # Paris moves from +01:00 to +02:00 at 01:00 UTC on 2024-03-31.
    utc = pd.Series(pd.to_datetime(["2024-03-31T00:30:00Z", "2024-03-31T01:30:00Z"]))
    assert payloads.wire_values("dateTime", utc.dt.tz_convert("Europe/Paris")) == [
        "2024-03-31T01:30:00+01:00",
        "2024-03-31T03:30:00+02:00",
    ]


def test_fixed_offset_and_old_timestamps_keep_their_text():
    tz = timezone(timedelta(hours=-3, minutes=-30))
    series = pd.Series(
        [datetime(1905, 1, 2, 3, 4, 5, tzinfo=tz), datetime(2099, 12, 31, 23, 59, 59, tzinfo=tz)]
    )
    assert payloads.wire_values("dateTime", series) == [
        "1905-01-02T03:04:05-03:30",
        "2099-12-31T23:59:59-03:30",
    ]
    utc = pd.Series([datetime(2022, 4, 25, 3, 21, 55, tzinfo=UTC)])
    assert payloads.wire_values("dateTime", utc) == ["2022-04-25T03:21:55+00:00"]


def _one_order() -> pd.DataFrame:
    return pd.DataFrame({"id": ["1"], "productId": ["p"], "quantity": [1]})


def test_gc_is_enabled_again_after_building():
    assert gc.isenabled()
    payloads.from_valid(_one_order(), "orders")
    assert gc.isenabled()


def test_gc_is_enabled_again_when_building_fails(monkeypatch):
    # Nothing in valid input makes the builder fail, so a conversion is made to.
    def broken(field, series):
        raise RuntimeError(f"cannot convert {field}")

    monkeypatch.setattr(payloads, "_wire", broken)
    with pytest.raises(RuntimeError, match="cannot convert"):
        payloads.from_valid(_one_order(), "orders")
    assert gc.isenabled()


def test_gc_left_disabled_by_the_caller_stays_disabled():
    gc.disable()
    try:
        payloads.from_valid(_one_order(), "orders")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_concurrent_builds_leave_gc_enabled():
    # Each build re-enables the GC only if it found it enabled: whatever the
    # interleaving, the last one out leaves it as the first one in found it.
    df = pd.DataFrame({"id": [str(i) for i in range(3_000)], "productId": "p", "quantity": 1})
    barrier = threading.Barrier(4)
    built: list[int] = []

    def build() -> None:
        barrier.wait()
        built.append(len(payloads.from_valid(df, "orders")))

    threads = [threading.Thread(target=build) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert built == [3_000] * 4
    assert gc.isenabled()
