"""Personal data: hash e-mail addresses, and spot raw ones and card numbers before they leave.

The API expects ``emailHash`` to be a hash and ``ccHash`` an obfuscated card
token. POS exports sometimes carry the raw values in those columns; the
detectors here let the schema refuse such rows (the PII guard) and the masks
let error messages point at the value without repeating it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import warnings
from typing import overload

import numpy as np
import pandas as pd

__all__ = [
    "AlreadyHashedWarning",
    "hash_email",
    "is_card_number",
    "is_hashed",
    "is_raw_email",
    "luhn_valid",
    "mask_card",
    "mask_email",
]

# Deliberately loose: anything shaped like local@domain.tld is treated as an address,
# because a false alarm costs a re-hash while a miss leaks personal data.
_EMAIL = re.compile(r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$")
_CARD_SEPARATORS = re.compile(r"[ \-]")
_CARD_DIGITS = re.compile(r"^\d{13,19}$")
_SHA256_HEX = re.compile(r"\s*[0-9a-fA-F]{64}\s*")


class AlreadyHashedWarning(UserWarning):
    """hash_email met values that are already SHA-256 digests and left them as they were."""


def _canonical(address: str) -> str:
    # NFC first and again after lower-casing: "é" typed as one code point (Windows,
    # most web forms) or as "e" + combining accent (macOS) is the same address and
    # must give the same hash. NFC, not NFKC: compatibility folding ("ﬁ" -> "fi")
    # would merge addresses a mail server keeps apart.
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", address).strip().lower())


def _hash_one(address: str) -> str:
    if _SHA256_HEX.fullmatch(address):
        return address.strip().lower()  # hashing a hash would never match the platform's
    return hashlib.sha256(_canonical(address).encode("utf-8")).hexdigest()


def _warn_hashed(where: str) -> None:
    warnings.warn(
        f"hash_email left {where} unchanged: already a SHA-256 hex digest (64 hex digits), "
        "hashing it again would never match. Hash each address once.",
        AlreadyHashedWarning,
        stacklevel=3,
    )


def _blank(value: object) -> bool:
    return isinstance(value, str) and not value.strip()


@overload
def hash_email(value: str) -> str: ...
@overload
def hash_email(value: pd.Series) -> pd.Series: ...
def hash_email(value: str | pd.Series) -> str | pd.Series:
    """SHA-256 hex digest of an e-mail address, trimmed, lower-cased and in Unicode NFC.

    Canonical equivalents hash alike ("josé" with a precomposed "é" or with
    "e" + U+0301); compatibility characters are kept (NFC, not NFKC). A value
    that already is a SHA-256 hex digest (64 hex digits) is returned trimmed and
    lower-cased instead of being hashed again, with an ``AlreadyHashedWarning``
    naming it (or, for a Series, how many and the first index labels).

    Missing or blank values in a Series stay missing: hashing them would give
    every shopper without an address the same constant and link them.

    Example:
        >>> hash_email("  Test@Example.com ")
        '973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b'
        >>> hash_email(pd.Series(["test@example.com", None])).isna().tolist()
        [False, True]

    Raises:
        TypeError: value is neither a str nor a pandas Series, or the Series holds non-text values.
        ValueError: value is a blank str.
    """
    if isinstance(value, str):
        if _blank(value):
            raise ValueError(
                "hash_email got a blank address; leave emailHash empty instead of hashing nothing"
            )
        if _SHA256_HEX.fullmatch(value):
            _warn_hashed("a value")
        return _hash_one(value)
    if not isinstance(value, pd.Series):
        raise TypeError(f"hash_email expects a str or a pandas Series, not {type(value).__name__}")
    present = value.notna() & ~value.map(_blank).astype(bool)
    bad = [v for v in value[present] if not isinstance(v, str)]
    if bad:
        raise TypeError(f"hash_email expects text e-mail addresses; found {bad[0]!r}")
    out = pd.Series(None, index=value.index, dtype=object, name=value.name)
    out[present] = [_hash_one(v) for v in value[present]]
    hashed = is_hashed(value)
    if hashed.any():
        labels = ", ".join(map(str, value.index[hashed.to_numpy()][:5]))
        _warn_hashed(f"{int(hashed.sum())} values (index {labels})")
    return out


def is_hashed(series: pd.Series) -> pd.Series:
    """Boolean mask: True where a value already is a SHA-256 hex digest (missing -> False).

    Example:
        >>> is_hashed(pd.Series(["973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b",
        ...                      "a@b.co", None])).tolist()
        [True, False, False]

    Raises:
        Nothing.
    """
    texts, present = _texts(series)
    out = pd.Series(False, index=series.index)
    out[present] = texts.str.fullmatch(_SHA256_HEX.pattern).to_numpy(dtype=bool)
    return out


def luhn_valid(digits: str) -> bool:
    """True when a string of digits passes the Luhn checksum used by payment cards.

    Example:
        >>> luhn_valid("4111111111111111"), luhn_valid("4111111111111112")
        (True, False)

    Raises:
        ValueError: digits contains something other than 0-9.
    """
    if not digits.isdigit():
        raise ValueError(f"luhn_valid expects only digits, got {digits!r}")
    values = np.frombuffer(digits.encode("ascii"), dtype=np.uint8)[::-1] - ord("0")
    doubled = values[1::2] * 2
    total = int(values[0::2].sum()) + int((doubled - 9 * (doubled > 9)).sum())
    return total % 10 == 0


def _texts(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The non-missing values as text, and a mask of where they were."""
    present = series.notna()
    return series[present].astype(str), present


def is_raw_email(series: pd.Series) -> pd.Series:
    """Boolean mask: True where a value looks like a raw e-mail address (missing -> False).

    Example:
        >>> is_raw_email(pd.Series(["a@b.co", "973dfe46", None])).tolist()
        [True, False, False]

    Raises:
        Nothing.
    """
    texts, present = _texts(series)
    out = pd.Series(False, index=series.index)
    # Only values holding an "@" can be addresses; the regex then runs on those few.
    candidates = texts.str.contains("@", regex=False).to_numpy(dtype=bool)
    flags = np.zeros(len(texts), dtype=bool)
    flags[candidates] = [bool(_EMAIL.match(t)) for t in texts[candidates]]
    out[present] = flags
    return out


def _card_like(text: str) -> bool:
    digits = _CARD_SEPARATORS.sub("", text.strip())
    return bool(_CARD_DIGITS.match(digits)) and luhn_valid(digits)


def is_card_number(series: pd.Series) -> pd.Series:
    """Boolean mask: True where a value is 13-19 digits (spaces/dashes allowed) passing Luhn.

    Example:
        >>> is_card_number(pd.Series(["4111 1111 1111 1111", "q1234rfgth", 4111111111111112])).tolist()
        [True, False, False]

    Raises:
        Nothing.
    """
    texts, present = _texts(series)
    out = pd.Series(False, index=series.index)
    # Only strings of digits can be cards; the Luhn loop then runs on those few candidates.
    candidates = texts.str.fullmatch(r"\s*[\d \-]{13,}\s*").to_numpy(dtype=bool)
    flags = np.zeros(len(texts), dtype=bool)
    flags[candidates] = [_card_like(t) for t in texts[candidates]]
    out[present] = flags
    return out


def mask_email(text: str) -> str:
    """Show an e-mail address without disclosing it: first letter and domain only.

    Example:
        >>> mask_email("john.doe@example.com")
        'j***@example.com'

    Raises:
        Nothing; text without '@' is masked entirely.
    """
    local, at, domain = str(text).strip().partition("@")
    return f"{local[:1]}***@{domain}" if at else "***"


def mask_card(text: str) -> str:
    """Show a card number as its last four digits only.

    Example:
        >>> mask_card("4111 1111 1111 1111")
        '************1111'

    Raises:
        Nothing.
    """
    digits = re.sub(r"\D", "", str(text))
    return "*" * max(len(digits) - 4, 0) + digits[-4:]
