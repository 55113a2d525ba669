"""batching.pack / split: limits held on the exact compressed bytes, order kept, batches full."""

from __future__ import annotations

import gzip
import itertools
import json
import random
import zlib
from datetime import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omninb.batching import GZIP_LEVEL, Batch, Oversize, encode, pack, split


def _order(i: int, lines: int = 2, noise: int = 0, seed: int = 0) -> dict:
    rnd = random.Random(seed * 1_000_003 + i)
    return {
        "id": str(i),
        "userId": f"user{i % 7}",
        "dateTime": "2022-04-25T12:21:55+09:00",
        "emailHash": "".join(rnd.choice("0123456789abcdef") for _ in range(noise)),
        "lineItems": [
            {"productId": str(rnd.randrange(10**6)), "quantity": 1, "unitPrice": 2.5}
            for _ in range(lines)
        ],
    }


def _gz(records) -> bytes:
    zipper = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    return zipper.compress(b"[" + b",".join(encode(r) for r in records) + b"]") + zipper.flush()


def _decoded(batch: Batch) -> list:
    return json.loads(gzip.decompress(batch.body))


def test_small_orders_fill_batches_of_max_records_in_order():
    orders = [_order(i) for i in range(250)]
    batches = list(pack(orders))
    assert [len(b) for b in batches] == [100, 100, 50]
    assert [k for b in batches for k in b.keys] == [str(i) for i in range(250)]
    assert [r for b in batches for r in _decoded(b)] == orders


def test_body_is_compact_gzip_json_with_valid_header():
    batch = next(pack([_order(1)]))
    assert batch.body[:2] == b"\x1f\x8b"
    assert gzip.decompress(batch.body) == b"[" + encode(_order(1)) + b"]"
    assert b", " not in gzip.decompress(batch.body)


def test_byte_limit_holds_and_batches_are_as_full_as_it_allows():
    # Random hex defeats compression, so the byte limit, not the count, cuts batches.
    orders = [_order(i, noise=600) for i in range(60)]
    limit = 5_000
    batches = list(pack(orders, max_bytes=limit))
    assert all(isinstance(b, Batch) for b in batches)
    assert all(b.size <= limit and len(gzip.decompress(b.body)) > 0 for b in batches)
    assert len(batches) > 3
    for batch, following in itertools.pairwise(batches):
        # the next record would not have fitted: the batch is as full as allowed
        assert len(_gz((*batch.records, following.records[0]))) > limit
    assert [r for b in batches for r in _decoded(b)] == orders


def test_measured_size_is_the_size_of_the_bytes_sent():
    orders = [_order(i, noise=300, lines=5) for i in range(40)]
    for batch in pack(orders, max_bytes=3_000):
        assert isinstance(batch, Batch)
        assert batch.size == len(batch.body) <= 3_000
        assert _decoded(batch) == list(batch.records)


def test_oversize_order_is_reported_not_sent_and_packing_continues():
    orders = [_order(0), _order(1, noise=20_000), _order(2), _order(3)]
    items = list(pack(orders, max_bytes=2_000))
    over = [i for i in items if isinstance(i, Oversize)]
    assert len(over) == 1 and over[0].key == "1"
    assert over[0].size > 2_000
    sent = [k for i in items if isinstance(i, Batch) for k in i.keys]
    assert sent == ["0", "2", "3"]


def test_oversize_size_is_the_gzip_size_of_the_order_alone():
    big = _order(9, noise=5_000)
    [item] = list(pack([big], max_bytes=1_000))
    assert isinstance(item, Oversize)
    assert item.size == len(_gz([big]))


def test_returns_are_keyed_by_return_id():
    returns = [{"orderId": "7", "returnId": f"r{i}", "lineItems": []} for i in range(3)]
    [batch] = list(pack(returns, key="returnId"))
    assert batch.keys == ("r0", "r1", "r2")


def test_missing_key_raises_key_error():
    with pytest.raises(KeyError):
        list(pack([{"userId": "u"}]))


def test_nan_is_refused():
    with pytest.raises(ValueError):
        list(pack([{"id": "1", "unitPrice": float("nan")}]))


def test_limits_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        list(pack([], max_records=0))


def test_non_ascii_text_is_sent_as_utf8():
    batch = next(pack([{"id": "1", "storeId": "東京"}]))
    assert "東京".encode() in gzip.decompress(batch.body)


def test_pack_is_lazy():
    def endless():
        i = 0
        while True:
            yield _order(i)
            i += 1

    first = next(pack(endless(), max_records=10))
    assert first.keys == tuple(str(i) for i in range(10))


def test_split_halves_keep_order_and_are_valid_bodies():
    batch = next(pack([_order(i) for i in range(7)]))
    first, second = split(batch)
    assert first.keys == ("0", "1", "2", "3") and second.keys == ("4", "5", "6")
    assert _decoded(first) + _decoded(second) == list(batch.records)


def test_split_of_one_record_raises_naming_the_order():
    batch = next(pack([_order(42)]))
    with pytest.raises(ValueError, match="42"):
        split(batch)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=3_000), min_size=0, max_size=60),
    max_records=st.integers(min_value=1, max_value=25),
    max_bytes=st.integers(min_value=200, max_value=8_000),
)
def test_property_limits_order_and_completeness(sizes, max_records, max_bytes):
    orders = [_order(i, lines=1, noise=n, seed=7) for i, n in enumerate(sizes)]
    items = list(pack(orders, max_records=max_records, max_bytes=max_bytes))
    seen: list[str] = []
    for item, following in zip(items, [*items[1:], None], strict=False):
        if isinstance(item, Oversize):
            assert item.size > max_bytes
            seen.append(item.key)
            continue
        assert 1 <= len(item) <= max_records and item.size <= max_bytes
        assert _decoded(item) == list(item.records)
        if isinstance(following, Batch) and len(item) < max_records:
            assert len(_gz((*item.records, following.records[0]))) > max_bytes
        seen.extend(item.keys)
    assert seen == [str(i) for i in range(len(sizes))]


def test_large_records_that_make_the_compressor_emit_mid_batch_stay_exact():
    # ~25 KB compressed each: the compressor flushes whole deflate blocks while a
    # batch grows, so the measured body must be stitched from its real output.
    orders = [_order(i, lines=1, noise=60_000, seed=11) for i in range(12)]
    batches = list(pack(orders, max_bytes=100_000))
    assert all(isinstance(b, Batch) for b in batches)
    assert all(b.size <= 100_000 for b in batches) and len(batches) > 2
    assert [r for b in batches for r in _decoded(b)] == orders
    for batch, following in itertools.pairwise(batches):
        assert len(_gz((*batch.records, following.records[0]))) > 100_000


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_money_is_refused_naming_the_order_and_field(bad):
    # orjson writes NaN/inf as null; the body must never carry them silently.
    order = {"id": "7", "lineItems": [{"unitPrice": 1.0}, {"productId": "b", "unitPrice": bad}]}
    with pytest.raises(ValueError, match=r"lineItems\[1\]\.unitPrice is -?(nan|inf)") as exc:
        encode(order)
    assert "finite" in str(exc.value)
    with pytest.raises(ValueError, match=r"record 7: lineItems\[1\]\.unitPrice"):
        list(pack([_order(1), order, _order(2)]))


def test_non_finite_value_is_refused_on_the_byte_limited_path_too():
    orders = [_order(i, noise=600) for i in range(5)]
    orders[3] = {**orders[3], "couponValue": float("nan")}
    with pytest.raises(ValueError, match="record 3: couponValue is nan"):
        list(pack(orders, max_bytes=1_500))


def test_non_finite_value_is_refused_when_a_batch_is_split():
    records = ({"id": "1"}, {"id": "2", "returnValue": float("inf")})
    with pytest.raises(ValueError, match="record 2: returnValue is inf"):
        split(Batch(records, ("1", "2"), b""))


def test_null_and_the_text_null_are_not_mistaken_for_nan():
    record = {"id": "1", "couponCode": "null", "storeId": None}
    assert encode(record) == b'{"id":"1","couponCode":"null","storeId":null}'
    [batch] = list(pack([record]))
    assert _decoded(batch) == [record]


def test_numpy_float_is_a_number_and_numpy_nan_is_refused():
    assert encode({"unitPrice": np.float64(256.678)}) == b'{"unitPrice":256.678}'
    with pytest.raises(ValueError, match="unitPrice is nan"):
        encode({"unitPrice": np.float64("nan")})


@pytest.mark.parametrize(
    "value",
    [datetime(2022, 4, 25, 12, 21, 55), {1, 2}, 2**70, np.int64(3)],
    ids=["naive-datetime", "set", "huge-int", "numpy-int"],
)
def test_values_json_cannot_carry_exactly_raise_type_error(value):
    # A datetime object would go out without its UTC offset: only the builder's text may.
    with pytest.raises(TypeError):
        encode({"id": "1", "dateTime": value})


def test_whole_batch_body_is_exactly_the_joined_records():
    orders = [_order(i, lines=3) for i in range(100)]
    [batch] = list(pack(orders))
    assert gzip.decompress(batch.body) == b"[" + b",".join(encode(o) for o in orders) + b"]"


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(record=st.dictionaries(st.text(), _json_values, max_size=6))
def test_property_encode_round_trips_every_value_exactly(record):
    # money is never rounded: the parsed JSON equals the record, floats bit for bit
    # (repr tells -0.0 from 0.0 and shows every digit), keys in the same order
    decoded = json.loads(encode(record))
    assert decoded == record and repr(decoded) == repr(record)
