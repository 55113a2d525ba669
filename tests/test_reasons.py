"""omninb.reasons: messages of the vendor reference, the sandbox and validation group by reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omninb.reasons import normalise_reason

# The three status answers printed in the vendor reference, verbatim.
REFERENCE = json.loads((Path(__file__).parent / "data" / "reference_status.json").read_text())


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        # the reference's own event messages: a numeric and an alphanumeric product id
        ("No product is found for product ID 6024383", "No product is found for product ID {}"),
        ("No product is found for product ID product3", "No product is found for product ID {}"),
        # the reference's import answer and job name
        (
            "Total records = 2. Success = 1. Failed = 1",
            "Total records = {}. Success = {}. Failed = {}",
        ),
        (
            "No product is found for product ID content__662.",
            "No product is found for product ID {}.",
        ),
        ("currency 'XYZ' is not an ISO 4217 code", "currency {} is not an ISO 4217 code"),
        ("dateTime 2022-04-25T12:21:55 has no UTC offset", "dateTime {} has no UTC offset"),
        ("Unknown job f29dd805-0156-11ee-ad68-7d780afc9f2c", "Unknown job {}"),
        (
            "No product is found for product IDs 1, 2 and 3",
            "No product is found for product IDs {}",
        ),
        ("unitPrice -3.5 is negative", "unitPrice {} is negative"),
        ("Order 17 is 120,000 bytes, over 100,000", "Order {} is {} bytes, over {}"),
        ("userId is missing", "userId is missing"),
        # the sandbox's field rules: positions and reprs of bad values vary too
        (
            "Field lineItems[3].quantity must be an integer > 0 (got 0)",
            "Field lineItems[{}].quantity must be an integer > {} (got {})",
        ),
        (
            "Field lineItems[0].unitPrice must be a number (got 'abc')",
            "Field lineItems[{}].unitPrice must be a number (got {})",
        ),
        (
            "Invalid dateTime '2024-03-01 10:00': expected ISO 8601 with a UTC offset",
            "Invalid dateTime {}: expected ISO 8601 with a UTC offset",
        ),
    ],
)
def test_normalise_reason_takes_varying_values_out(message, reason):
    assert normalise_reason(message) == reason


def test_reference_messages_of_different_products_group_as_one_reason():
    messages = [e["message"] for a in REFERENCE.values() for e in a["result"]]
    assert len(set(messages)) == 2
    assert {normalise_reason(m) for m in messages} == {"No product is found for product ID {}"}


@pytest.mark.parametrize("missing", [None, float("nan"), 42])
def test_normalise_reason_of_a_non_message_is_empty(missing):
    assert normalise_reason(missing) == ""
