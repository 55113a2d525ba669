"""payloads properties: frame -> bodies -> long frame -> bodies is stable; no body ever breaks a wire rule.

Bodies are checked by tests/wire_rules.py (written from the vendor reference,
not from omninb's validation) and by the sandbox's own record rules.
"""

from __future__ import annotations

import json

from fuzz_frames import clean_frames, hostile_frames
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wire_rules import wire_problems

from omninb import payloads
from omninb.errors import ValidationError
from omninb.sandbox.rules import record_problem
from omninb.schemas import validate

KINDS = st.sampled_from(["orders", "returns"])
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_wire_valid(bodies, kind, method="batch"):
    for body in bodies:
        assert wire_problems(body, kind, method=method) == [], json.dumps(body, default=str)
        if method == "batch":
            assert record_problem(json.loads(json.dumps(body)), kind, None) is None


@FUZZ
@given(kind=KINDS, data=st.data())
def test_frame_to_bodies_to_long_to_bodies_is_stable(kind, data):
    df = data.draw(clean_frames(kind))
    first = payloads.build(df, kind)
    again = payloads.build(payloads.to_long(first, kind), kind)
    assert again == first
    assert_wire_valid(first, kind)


@FUZZ
@given(kind=KINDS, method=st.sampled_from(["batch", "single"]), data=st.data())
def test_bodies_of_the_valid_part_of_a_hostile_frame_keep_every_wire_rule(kind, method, data):
    df = data.draw(hostile_frames(kind))
    report = validate(df, kind)
    bodies = payloads.from_valid(report.valid, kind, method)
    assert_wire_valid(bodies, kind, method)
    key = "id" if kind == "orders" else "returnId"
    assert len(bodies) == len({b[key] for b in bodies})  # one body per order


@FUZZ
@given(kind=KINDS, data=st.data())
def test_build_either_refuses_or_returns_wire_valid_bodies(kind, data):
    df = data.draw(hostile_frames(kind))
    try:
        bodies = payloads.build(df, kind)
    except ValidationError as exc:
        assert not exc.report.ok and str(exc)
        return
    assert_wire_valid(bodies, kind)


def test_the_checker_itself_catches_broken_bodies():
    good = {
        "id": "1",
        "userId": "u",
        "dateTime": "2022-04-25T12:21:55+09:00",
        "lineItems": [{"productId": "p", "quantity": 1, "unitPrice": 2.5}],
    }
    assert wire_problems(good, "orders") == []
    broken = [
        {**good, "id": 1},
        {**good, "userId": " "},
        {**good, "dateTime": "2022-04-25T12:21:55"},
        {**good, "lineItems": [{"productId": "p", "quantity": 1.0, "unitPrice": 2.5}]},
        {**good, "lineItems": [{"productId": "p", "quantity": True, "unitPrice": 2.5}]},
        {**good, "lineItems": [{"productId": "p", "quantity": 1, "unitPrice": float("nan")}]},
        {**good, "segmentIds": []},
        {**good, "currency": "usd"},
        {**good, "emailHash": "jane@example.com"},
        {**good, "ccHash": "4111 1111 1111 1111"},
        {**good, "storeId": None},
        {**good, "colour": "red"},
        {**good, "lineItems": []},
    ]
    for body in broken:
        assert wire_problems(body, "orders"), body
