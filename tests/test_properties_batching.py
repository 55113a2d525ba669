"""Property: for any orders (unicode, long strings, any sizes) pack() keeps every API limit.

Every batch has at most ``max_records`` records and a gzip body of at most
``max_bytes`` bytes that decompresses to exactly its records; every order is in
exactly one batch or reported Oversize (and then really is too large alone);
input order is kept. Sizes are re-measured here with zlib, not taken from pack.
"""

from __future__ import annotations

import json
import random
import zlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omninb.batching import GZIP_LEVEL, Batch, Oversize, encode, pack

# Scripts, combining marks, astral emoji, quotes and controls that JSON must escape.
_ALPHABET = (
    "abcXYZ019 -_.@"
    "éüßçñ"
    "\u0301\u0308"
    "日本語用户例子"
    "한국"
    "Ωδψ"
    "пример"
    "\U0001f600\U0001f9fe\U00010348"
    '"\\/\n\t\x00\x1f\u2028'
)


def noise(seed: int, length: int) -> str:
    """Poorly compressible text of ``length`` characters (random picks from the alphabet)."""
    rng = random.Random(seed)
    return "".join(rng.choices(_ALPHABET, k=length))


short_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=30)


@st.composite
def orders(draw, max_orders: int, noise_sizes: st.SearchStrategy[int]):
    count = draw(st.integers(0, max_orders))
    out = []
    for i in range(count):
        out.append(
            {
                "id": f"{i}-{draw(short_text)}",  # unique, and unicode
                "userId": draw(short_text),
                "storeId": noise(draw(st.integers(0, 2**32)), draw(noise_sizes)),
                "lineItems": [
                    {"productId": draw(short_text), "quantity": 1, "unitPrice": 2.5}
                    for _ in range(draw(st.integers(1, 3)))
                ],
            }
        )
    return out


def gzip_size(records) -> int:
    """One-shot gzip size of a body holding ``records`` (encoded as pack encodes them)."""
    body = b"[" + b",".join(encode(r) for r in records) + b"]"
    return len(zlib.compress(body, GZIP_LEVEL, 31))


def check_packing(items, payloads, max_records: int, max_bytes: int) -> None:
    seen: list[str] = []
    for item, following in zip(items, [*items[1:], None], strict=False):
        if isinstance(item, Oversize):
            record = payloads[len(seen)]
            assert item.key == record["id"] and item.size > max_bytes
            assert gzip_size([record]) > max_bytes
            seen.append(item.key)
            continue
        assert isinstance(item, Batch) and 1 <= len(item) <= max_records
        assert item.size == len(item.body) <= max_bytes
        assert json.loads(zlib.decompress(item.body, 31)) == list(item.records)
        assert list(item.keys) == [r["id"] for r in item.records]
        assert list(item.records) == payloads[len(seen) : len(seen) + len(item)]
        if isinstance(following, Batch) and len(item) < max_records:
            # cut by the byte limit: the next order would really not have fitted
            assert gzip_size([*item.records, following.records[0]]) > max_bytes
        seen.extend(item.keys)
    assert seen == [p["id"] for p in payloads]  # each exactly once, in input order


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    payloads=orders(max_orders=40, noise_sizes=st.integers(0, 3_000)),
    max_records=st.integers(1, 100),
    max_bytes=st.integers(60, 20_000),
)
def test_any_orders_under_any_limits(payloads, max_records, max_bytes):
    items = list(pack(payloads, max_records=max_records, max_bytes=max_bytes))
    check_packing(items, payloads, max_records, max_bytes)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(payloads=orders(130, st.sampled_from([0, 40, 400, 2_000, 20_000, 60_000, 140_000])))
def test_the_api_limits_with_long_unicode_strings(payloads):
    # The real limits: 100 orders, 100,000 bytes; 140,000 random characters alone exceed them.
    items = list(pack(payloads))
    check_packing(items, payloads, 100, 100_000)


def test_an_order_far_over_the_limit_is_reported_and_packing_goes_on():
    big = {"id": "huge", "storeId": noise(1, 120_000), "lineItems": []}
    small = [{"id": f"s{i}", "lineItems": []} for i in range(150)]
    payloads = [small[0], big, *small[1:]]
    items = list(pack(payloads))
    check_packing(items, payloads, 100, 100_000)
    assert [type(i).__name__ for i in items] == ["Batch", "Oversize", "Batch", "Batch"]
