"""pii: e-mail hashing against pinned SHA-256 values, and the raw e-mail / card detectors.

The digests below were computed once with coreutils `printf '%s' ADDRESS | sha256sum`
on the normalised address and pasted here; the test does not recompute them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import omninb
from omninb import pii

TEST_AT_EXAMPLE = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
JANE_DOE = "86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d"
JOSE_UTF8 = "88a5fce066b185a5417601d971b4fca2b5e969d163bc0846426140956078d437"


@pytest.mark.parametrize(
    ("address", "digest"),
    [
        ("test@example.com", TEST_AT_EXAMPLE),
        ("  TEST@Example.COM\t", TEST_AT_EXAMPLE),
        ("Jane.Doe@example.com", JANE_DOE),
        ("JOSÉ@EXÄMPLE.COM", JOSE_UTF8),
    ],
)
def test_hash_email_trims_lowercases_and_sha256_hashes(address, digest):
    assert pii.hash_email(address) == digest
    assert omninb.hash_email(address) == digest


def test_hash_email_on_a_series_keeps_index_name_and_missing_values():
    s = pd.Series(
        [" jane.doe@EXAMPLE.com", None, "test@example.com", "  ", np.nan],
        index=list("abcde"),
        name="mail",
    )
    out = pii.hash_email(s)
    assert out.name == "mail" and out.index.tolist() == list("abcde")
    assert out.tolist()[0] == JANE_DOE and out["c"] == TEST_AT_EXAMPLE
    assert out[["b", "d", "e"]].isna().all()


def test_hash_email_refuses_blank_and_non_text():
    with pytest.raises(ValueError, match="blank address"):
        pii.hash_email("   ")
    with pytest.raises(TypeError, match="found 42"):
        pii.hash_email(pd.Series(["a@b.co", 42]))
    with pytest.raises(TypeError, match="not list"):
        pii.hash_email(["a@b.co"])  # type: ignore[call-overload]


def test_hashed_values_are_not_flagged_as_raw_emails():
    assert not pii.is_raw_email(pd.Series([TEST_AT_EXAMPLE])).any()


@pytest.mark.parametrize(
    ("value", "flagged"),
    [
        ("jane.doe@example.com", True),
        (" Jane@Example.co.uk ", True),
        ("a+tag@sub.domain.org", True),
        ("d12345gf345", False),
        ("user@localhost", False),  # no dot in the domain: not an address the API would see
        ("two@@example.com", False),
        (None, False),
        (42, False),
    ],
)
def test_is_raw_email(value, flagged):
    assert pii.is_raw_email(pd.Series([value], dtype=object)).tolist() == [flagged]


@pytest.mark.parametrize(
    ("value", "flagged"),
    [
        ("4111111111111111", True),  # Visa test number, 16 digits
        ("4111-1111-1111-1111", True),
        ("378282246310005", True),  # Amex, 15 digits
        ("6011000990139424", True),
        ("4222222222222", True),  # 13 digits
        (4111111111111111, True),  # a number, not text
        ("4111111111111112", False),  # Luhn fails
        ("411111111111", False),  # 12 digits: too short
        ("41111111111111111111", False),  # 20 digits: too long
        ("q1234rfgth", False),
        (None, False),
    ],
)
def test_is_card_number(value, flagged):
    assert pii.is_card_number(pd.Series([value], dtype=object)).tolist() == [flagged]


def test_detectors_keep_the_series_index():
    s = pd.Series(["4111111111111111", "x"], index=[7, 3])
    assert pii.is_card_number(s).index.tolist() == [7, 3]
    assert pii.is_raw_email(s).index.tolist() == [7, 3]


def test_luhn_valid_and_its_input_check():
    assert pii.luhn_valid("79927398713")
    assert not pii.luhn_valid("79927398710")
    with pytest.raises(ValueError, match="only digits"):
        pii.luhn_valid("7992-7398")


def test_masks_hide_the_personal_part():
    assert pii.mask_email("jane.doe@example.com") == "j***@example.com"
    assert pii.mask_email("not an address") == "***"
    assert pii.mask_card("4111-1111-1111-1111") == "************1111"
