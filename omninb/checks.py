"""The column rules behind ``schemas``: vectorised tests and the messages a user reads.

Each Rule pairs a test (Series -> boolean Series, True where the value is
fine) with the sentence that explains a failure and says how to fix it. Tests
work a whole column at a time; element loops run only on object columns,
where pandas has no vectorised path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pycountry

from omninb import pii
from omninb.fields import ID_FIELDS, list_fields
from omninb.pos import parse_datetimes

__all__ = [
    "CURRENCIES",
    "REQUIRED",
    "RULES",
    "Rule",
    "disagreement",
    "id_text",
    "missing_column",
    "plain",
    "rules_for",
    "value_codes",
    "where",
]

CURRENCIES = frozenset(c.alpha_3 for c in pycountry.currencies)
_MAX_EXACT = 2**53  # larger floats cannot hold every integer, so an id stored that way lost digits


@dataclass(frozen=True)
class Rule:
    """One column check: its pandera name, its test, and how to explain a failure."""

    name: str
    test: Callable[[pd.Series], pd.Series]
    explain_fn: Callable[[str, Any], str]
    shown: Callable[[Any], Any] = field(default=lambda v: v)

    def explain(self, column: str, value: Any) -> str:
        """The message body for a failing value (already masked if personal)."""
        return self.explain_fn(column, value)


def _on_objects(series: pd.Series, ok: Callable[[Any], bool]) -> pd.Series:
    return pd.Series([ok(v) for v in series.tolist()], index=series.index, dtype=bool)


def _present(series: pd.Series) -> pd.Series:
    present = series.notna()
    if isinstance(series.dtype, pd.StringDtype):
        return present & ~series.str.strip().eq("").fillna(False).astype(bool)
    if series.dtype == object:
        return present & ~_on_objects(series, lambda v: isinstance(v, str) and not v.strip())
    return present


def _id_ok(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (str, int, np.integer)):
        return True
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return bool(np.isfinite(number)) and number.is_integer() and abs(number) <= _MAX_EXACT
    return False


def _identifier(series: pd.Series) -> pd.Series:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return pd.Series(False, index=series.index)
    if pd.api.types.is_integer_dtype(dtype) or isinstance(dtype, pd.StringDtype):
        return pd.Series(True, index=series.index)
    if pd.api.types.is_float_dtype(dtype):
        v = series.to_numpy(dtype=float, na_value=np.nan)
        return pd.Series(
            np.isfinite(v) & (v == np.floor(v)) & (np.abs(v) <= _MAX_EXACT), index=series.index
        )
    return _on_objects(series, _id_ok)


def _aware(value: Any) -> bool:
    return isinstance(value, pd.Timestamp) and value.tzinfo is not None


def _datetime(series: pd.Series) -> pd.Series:
    parsed = parse_datetimes(series)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return pd.Series(True, index=series.index)
    if pd.api.types.is_datetime64_dtype(parsed.dtype):
        return pd.Series(False, index=series.index)
    return _on_objects(parsed, _aware)


def _numeric(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series.dtype):
        return np.full(len(series), np.nan)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _whole(series: pd.Series) -> np.ndarray:
    v = _numeric(series)
    with np.errstate(invalid="ignore"):
        return np.isfinite(v) & (v == np.floor(v))


def _positive_integer(series: pd.Series) -> pd.Series:
    with np.errstate(invalid="ignore"):
        return pd.Series(_whole(series) & (_numeric(series) > 0), index=series.index)


def _integer(series: pd.Series) -> pd.Series:
    return pd.Series(_whole(series), index=series.index)


def _money(series: pd.Series) -> pd.Series:
    v = _numeric(series)
    with np.errstate(invalid="ignore"):
        return pd.Series(np.isfinite(v) & (v >= 0), index=series.index)


def _currency(series: pd.Series) -> pd.Series:
    return series.isin(CURRENCIES)


def _segment_ok(value: Any) -> bool:
    if isinstance(value, (list, tuple, np.ndarray)):
        return all(isinstance(v, (str, int, np.integer)) and not isinstance(v, bool) for v in value)
    return isinstance(value, (str, int, np.integer)) and not isinstance(value, bool)


def _segments(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.StringDtype):
        return pd.Series(True, index=series.index)
    return _on_objects(series, lambda v: _segment_ok(v) or (np.ndim(v) == 0 and pd.isna(v)))


def _per_distinct(series: pd.Series, test: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``test`` run once per distinct value of a text column (hashes repeat on every
    line of an order), spread back to the rows. Not on object columns: factorize
    would merge 1, 1.0 and True there."""
    if not isinstance(series.dtype, pd.StringDtype):
        return test(series)
    codes, uniques = pd.factorize(series)
    flags = test(pd.Series(uniques, dtype=series.dtype)).to_numpy(dtype=bool)
    # Code -1 (missing) picks the trailing False: a missing value is no address or card.
    return pd.Series(np.append(flags, False)[codes], index=series.index)


def _not_email(series: pd.Series) -> pd.Series:
    return ~_per_distinct(series, pii.is_raw_email)


def _not_card(series: pd.Series) -> pd.Series:
    return ~_per_distinct(series, pii.is_card_number)


def _explain_datetime(column: str, value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value!r} is a number, not a date and time; write it in ISO 8601 like 2022-04-25T14:30:00+09:00."
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return f"{value!r} is not a date and time; write it in ISO 8601 like 2022-04-25T14:30:00+09:00."
    return (
        f"{stamp.isoformat()} has no UTC offset, so the API cannot place it in time; "
        "write it like 2022-04-25T14:30:00+09:00, or pass the stores' time zone to "
        "read_pos(..., tz='Asia/Tokyo'). If you did pass tz=, this wall time does not exist "
        "or repeats at a daylight-saving change in that zone: add the offset by hand."
    )


_HINTS = {
    "userId": " The API files every order under a shopper: use the POS customer or loyalty id.",
    "dateTime": " Use the transaction time with its UTC offset.",
    "productId": " It must be a product id from the catalog.",
}

REQUIRED = Rule(
    "required",
    _present,
    lambda c, v: (
        f"{c} is empty but mandatory; fill it in the export or drop the line.{_HINTS.get(c, '')}"
    ),
)
_IDENTIFIER = Rule(
    "identifier",
    _identifier,
    lambda c, v: (
        f"{v!r} is not a usable identifier: ids go out as text, so write it as text or a whole "
        "number (a float such as 12.5 or one beyond 2**53 has lost digits). read_pos reads id columns as text."
    ),
)
_DATETIME = Rule("datetime_with_offset", _datetime, _explain_datetime)
_QUANTITY = Rule(
    "positive_integer",
    _positive_integer,
    lambda c, v: (
        f"{c} must be a whole number of at least 1, got {v!r}; correct the line or drop it."
    ),
)
_MONEY = Rule(
    "money",
    _money,
    lambda c, v: (
        f"{c} must be a finite amount of 0 or more, got {v!r}; write a plain number such as "
        "256.678 (no currency sign, no thousands separator)."
    ),
)
_INTEGER = Rule(
    "integer", _integer, lambda c, v: f"{c} must be a whole number such as -1, got {v!r}."
)
_CURRENCY = Rule(
    "iso_4217",
    _currency,
    lambda c, v: (
        f"{v!r} is not an ISO 4217 currency code; use the upper-case three-letter code "
        "(USD, EUR, JPY, ...) or leave it empty for the default USD."
    ),
)
_SEGMENTS = Rule(
    "segment_list",
    _segments,
    lambda c, v: (
        f"{v!r} is not a segment list; use a list like ['44', '55'] or text like '44|55|3'."
    ),
)
_EMAIL = Rule(
    "not_raw_email",
    _not_email,
    lambda c, v: (
        f"holds a raw e-mail address ({v}), which must never be sent; hash it first: "
        f"df['{c}'] = omninb.hash_email(df['{c}'])."
    ),
    shown=lambda v: pii.mask_email(str(v)),
)
_CARD = Rule(
    "not_card_number",
    _not_card,
    lambda c, v: (
        f"holds what looks like a payment card number ({v}, passes the Luhn check), which must "
        "never be sent; put the POS's obfuscated card token here, or drop the column."
    ),
    shown=lambda v: pii.mask_card(str(v)),
)

_BY_FIELD: dict[str, list[Rule]] = {
    **{f: [_IDENTIFIER] for f in ID_FIELDS},
    "dateTime": [_DATETIME],
    "quantity": [_QUANTITY],
    "unitPrice": [_MONEY],
    "couponValue": [_MONEY],
    "returnValue": [_MONEY],
    "regionId": [_INTEGER],
    "currency": [_CURRENCY],
    **{f: [_SEGMENTS] for f in list_fields()},
    "emailHash": [_EMAIL],
    "ccHash": [_CARD],
}
RULES: dict[str, Rule] = {r.name: r for rules in _BY_FIELD.values() for r in rules} | {
    "required": REQUIRED
}


def rules_for(field_name: str) -> list[Rule]:
    """The format rules of one API field (not counting 'required').

    Example:
        >>> [r.name for r in rules_for("quantity")]
        ['positive_integer']

    Raises:
        Nothing; a field without format rules gets an empty list.
    """
    return list(_BY_FIELD.get(field_name, []))


def missing_column(field_name: str, kind: str) -> str:
    """Message body for a mandatory column that is absent.

    Example:
        >>> missing_column("userId", "orders").split(";")[0]
        'userId is missing and is mandatory for orders'

    Raises:
        Nothing.
    """
    return (
        f"{field_name} is missing and is mandatory for {kind}; add the column or map your POS "
        f"column to it, e.g. read_pos(..., columns={{'<POS column>': '{field_name}'}})."
    )


def _record(kind: str) -> str:
    return "order" if kind == "orders" else "return"


def where(row: Any, record_id: str | None, kind: str, column: str) -> str:
    """The 'where' part of a message: row label, order or return id, column.

    Example:
        >>> where(4, "123", "orders", "quantity")
        'Row 4 (order 123), quantity'
        >>> where(None, None, "returns", "userId")
        'Column userId'

    Raises:
        Nothing.
    """
    if row is None:
        return f"Column {column}"
    return (
        f"Row {row} ({_record(kind)} {record_id if record_id is not None else '<no id>'}), {column}"
    )


def disagreement(field_name: str, value: Any, expected: Any, *, first_row: Any, kind: str) -> str:
    """Message body for a row whose order-level field differs from its order's first row.

    Example:
        >>> disagreement("storeId", "S2", "S1", first_row=4, kind="orders")[:40]
        "'S2' differs from 'S1' on row 4, the fir"

    Raises:
        Nothing.
    """
    record = _record(kind)
    key = "id" if kind == "orders" else "returnId"
    return (
        f"{_show(value)} differs from {_show(expected)} on row {first_row}, the first row of this "
        f"{record}. All rows of one {record} must agree on {field_name}: correct the export, "
        f"or give this line its own {key} if it belongs to another {record}."
    )


def _show(value: Any) -> str:
    return "empty" if np.ndim(value) == 0 and pd.isna(value) else repr(value)


def id_text(value: Any) -> str | None:
    """An id as it goes on the wire (4556.0 -> '4556'); None when missing.

    Example:
        >>> id_text(4556.0), id_text("A1"), id_text(None)
        ('4556', 'A1', None)

    Raises:
        Nothing.
    """
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _hashable(value: Any) -> Any:
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(_hashable(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds, so messages read 6.0, not np.float64(6.0).

    Example:
        >>> plain(np.float64(6.0)), plain("a")
        (6.0, 'a')

    Raises:
        Nothing.
    """
    return value.item() if isinstance(value, np.generic) else value


def value_codes(series: pd.Series) -> np.ndarray:
    """Integer codes such that equal values (missing included) get equal codes.

    Example:
        >>> value_codes(pd.Series(["a", "b", "a", None])).tolist()
        [0, 1, 0, -1]

    Raises:
        Nothing.
    """
    try:
        codes, _ = pd.factorize(series)
    except TypeError:  # lists (segments) or stray dicts are unhashable
        codes, _ = pd.factorize(pd.Series([_hashable(v) for v in series.tolist()], dtype=object))
    return np.asarray(codes)
