"""Long DataFrames <-> the exact JSON bodies the API expects (DESIGN section 1).

One dict per order (per return for returns), line items nested in row order.
Ids and other text go out as strings (``4556`` and ``4556.0`` both become
``"4556"``), money as JSON numbers exactly as held (never rounded), quantity
as an integer, segments as lists of strings, dateTime as ISO 8601 with its UTC
offset. Absent optional fields are left out, never sent as null or NaN.
Conversions work a whole column at a time (text columns convert each distinct
value once, timestamps are formatted by Arrow); only the dicts themselves are
built per row (see bench/prepare.py for the figures).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from omninb.errors import ValidationError
from omninb.fields import header_fields, line_fields, list_fields, money_fields, record_key
from omninb.pos import parse_datetimes

__all__ = ["METHODS", "build", "from_valid", "to_long", "wire_values"]

METHODS = ("batch", "single")
_INTEGER_FIELDS = ("quantity", "regionId")


def build(df: pd.DataFrame, kind: str, method: str = "batch") -> list[dict[str, Any]]:
    """Validate ``df`` and return one API body per order.

    Example:
        >>> df = pd.DataFrame({"id": [123], "userId": ["u1"], "dateTime": ["2022-04-25T12:21:55+09:00"],
        ...                    "productId": [4556], "quantity": [10], "unitPrice": [256.678]})
        >>> build(df, "orders")[0]["lineItems"]
        [{'productId': '4556', 'quantity': 10, 'unitPrice': 256.678}]

    Raises:
        omninb.ValidationError: any row is invalid; ``exc.report`` is the ValidationReport.
        ValueError: kind or method is unknown.
    """
    from omninb.schemas import validate

    _check_method(method)
    report = validate(df, kind)
    if not report.ok:
        raise ValidationError(report.message(), report=report)
    return from_valid(df, kind, method)


def from_valid(df: pd.DataFrame, kind: str, method: str = "batch") -> list[dict[str, Any]]:
    """Build the API bodies without validating (for callers that already did).

    Rows sharing a record key become one body, in order of first appearance;
    with ``method="single"`` the body has no userId (it goes in the URL).

    Example:
        >>> df = pd.DataFrame({"id": [7.0, 7.0], "productId": ["a", "b"], "quantity": [1, 2]})
        >>> from_valid(df, "orders", "single")
        [{'id': '7', 'lineItems': [{'productId': 'a', 'quantity': 1}, {'productId': 'b', 'quantity': 2}]}]

    Raises:
        ValueError: kind or method is unknown.
        KeyError: the record key column (id, or returnId for returns) is missing.
    """
    _check_method(method)
    key = record_key(kind)
    if df.empty:
        return []
    frame, starts = _grouped(df, key)
    heads = [f for f in header_fields(kind) if f in frame.columns]
    if method == "single":
        heads = [f for f in heads if f != "userId"]
    lines = [f for f in line_fields(kind) if f in frame.columns]
    with _gc_paused():
        items = _records(lines, {f: _wire(f, frame[f]) for f in lines}, len(frame))
        head_rows = frame[heads].take(starts)
        columns = {f: _wire(f, head_rows[f]) for f in heads}
        columns["lineItems"] = (_slices(items, starts), False)
        return _records([*heads, "lineItems"], columns, len(starts))


def _slices(items: list[dict[str, Any]], starts: np.ndarray) -> list[list[dict[str, Any]]]:
    """``items`` cut at ``starts``: each record's line items, as its own list."""
    ends = [*starts[1:].tolist(), len(items)]
    return list(map(items.__getitem__, map(slice, starts.tolist(), ends)))


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be 'batch' (POST) or 'single' (PUT), not {method!r}")


def _grouped(df: pd.DataFrame, key: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows of each record together (stable), and the position where each record starts."""
    codes, _ = pd.factorize(df[key], use_na_sentinel=False)
    if len(codes) > 1 and (np.diff(codes) < 0).any():
        order = np.argsort(codes, kind="stable")
        df, codes = df.take(order), codes[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    return df, starts


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building: a million fresh dicts and lists would
    trigger it again and again although none can form a cycle (bench/prepare.py:
    building is ~2.4x faster paused).

    The GC is process-wide. It is re-enabled only if it was enabled on entry, in
    ``finally``, so nested or concurrent builds always leave it enabled and a
    caller who disabled it keeps it disabled. Meanwhile other threads run without
    cyclic collection (their cycles are collected once it resumes).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@lru_cache(maxsize=64)
def _row_maker(
    names: tuple[str, ...],
) -> Callable[[Iterable[tuple[Any, ...]]], list[dict[str, Any]]]:
    """A function turning value tuples into dicts with these keys.

    A dict display with constant keys is built by one bytecode instruction,
    about 2.5x faster than dict(zip(names, row)), so the code is generated once
    per set of names. Names come only from omninb.fields, never from input data.
    """
    known = {
        *header_fields("orders"),
        *header_fields("returns"),
        *line_fields("returns"),
        "lineItems",
    }
    if not set(names) <= known:
        raise ValueError(f"unexpected field names {sorted(set(names) - known)}")
    args = [f"v{i}" for i in range(len(names))]
    body = ", ".join(f"{name!r}: {arg}" for name, arg in zip(names, args, strict=True))
    source = f"def make(rows):\n    return [{{{body}}} for {', '.join(args)}, in rows]\n"
    scope: dict[str, Any] = {}
    exec(compile(source, "<omninb.payloads row maker>", "exec"), scope)
    return cast(Callable[[Iterable[tuple[Any, ...]]], list[dict[str, Any]]], scope["make"])


# A converted column, and whether it may hold None (False when the fast path proved it cannot).
_Column = tuple[list[Any], bool]


def _records(names: Sequence[str], cols: dict[str, _Column], size: int) -> list[dict[str, Any]]:
    """Dicts from column lists, keys in ``names`` order, leaving out None (absent field)."""
    if not names:
        return [{} for _ in range(size)]
    records = _row_maker(tuple(names))(zip(*(cols[f][0] for f in names), strict=True))
    for f in names:
        # Deleting keeps the other keys' order, so bodies follow the reference's order.
        if cols[f][1] and None in cols[f][0]:
            for record, value in zip(records, cols[f][0], strict=True):
                if value is None:
                    del record[f]
    return records


def wire_values(field: str, series: pd.Series) -> list[Any]:
    """A column converted to JSON-ready values for ``field``; None where absent.

    Example:
        >>> wire_values("id", pd.Series([4556.0, None]))
        ['4556', None]
        >>> wire_values("segmentIds", pd.Series(["44|55|3"]))
        [['44', '55', '3']]

    Raises:
        Nothing for valid input; unconvertible values in unvalidated input may raise ValueError.
    """
    return _wire(field, series)[0]


def _wire(field: str, series: pd.Series) -> _Column:
    if field == "dateTime":
        return _datetimes(series)
    if field in list_fields():
        return _segment_lists(series)
    if field in _INTEGER_FIELDS:
        return _numbers(series, integer=True)
    if field in money_fields("orders") or field in money_fields("returns"):
        return _numbers(series, integer=False)
    return _texts(series)


def _objects(series: pd.Series) -> np.ndarray:
    values = series.to_numpy(dtype=object, copy=True)
    values[series.isna().to_numpy()] = None
    return values


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, (bool, np.bool_)):
        return str(value).lower()
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))  # 4556.0 (a numeric column with gaps) is the id "4556"
    return str(value)


def _texts(series: pd.Series) -> _Column:
    if pd.api.types.is_integer_dtype(series.dtype) and not series.hasnans:
        return series.astype(str).tolist(), False
    if isinstance(series.dtype, pd.StringDtype):
        return _string_texts(series)
    return _object_texts(series)


def _string_texts(series: pd.Series) -> _Column:
    if not _mostly_distinct(series):
        return _repeated_texts(series)
    if not series.hasnans and not series.str.strip().eq("").any():
        return series.tolist(), False
    return _object_texts(series)


def _object_texts(series: pd.Series) -> _Column:
    return [
        v if type(v) is str and v.strip() else _text(v) for v in _objects(series).tolist()
    ], True


def _mostly_distinct(series: pd.Series, sample: int = 1024) -> bool:
    """Whether the first values are mostly distinct (ids), judged on a small sample."""
    head = series.iloc[:sample]
    return bool(head.nunique(dropna=False) > len(head) // 2)


def _repeated_texts(series: pd.Series) -> _Column:
    """A text column of repeated values (stores, SKUs, channels): each distinct value
    is checked and converted once, and the rows share the resulting str objects."""
    codes, uniques = pd.factorize(series)
    texts = [_text(u) for u in uniques.tolist()]
    gaps = None in texts or bool((codes < 0).any())
    # Code -1 (missing) picks the trailing None.
    return np.array([*texts, None], dtype=object)[codes].tolist(), gaps


def _numbers(series: pd.Series, *, integer: bool) -> _Column:
    numeric = series
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        numeric = pd.to_numeric(series, errors="coerce")
    if not numeric.hasnans and (not integer or pd.api.types.is_integer_dtype(numeric.dtype)):
        return numeric.tolist(), False
    present = numeric.notna().to_numpy()
    if integer and not pd.api.types.is_integer_dtype(numeric.dtype):
        values = np.full(len(numeric), None, dtype=object)
        values[present] = numeric.to_numpy()[present].astype(np.int64).tolist()
        return values.tolist(), True
    return _objects(numeric).tolist(), True


def _segment_lists(series: pd.Series) -> _Column:
    try:
        codes, uniques = pd.factorize(series)
    except TypeError:  # cells holding lists are unhashable: convert one by one
        return [_segments(v) for v in series.tolist()], True
    converted = [_segments(u) or [] for u in uniques]
    gaps = not all(converted) or bool((codes < 0).any())
    # Each body gets its own list, so editing one payload never changes another.
    return [list(converted[c]) if c >= 0 and converted[c] else None for c in codes.tolist()], gaps


def _segments(value: Any) -> list[str] | None:
    if isinstance(value, str):
        parts = [p.strip() for p in value.split("|")]
    elif isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        parts = [_text(v) or "" for v in value]
    elif value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return None
    else:
        parts = [_text(value) or ""]
    kept = [p for p in parts if p]
    return kept or None


def _offset_text(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _datetimes(series: pd.Series) -> _Column:
    parsed = parse_datetimes(series)
    if not isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return [
            v.isoformat() if isinstance(v, pd.Timestamp) and v is not pd.NaT else None
            for v in parsed
        ], True
    present = parsed.notna().to_numpy()
    local = parsed.dt.tz_localize(None).to_numpy()
    walls = _wall_texts(local, present)
    # Arrow joins and formats in C; a missing time (null wall text) stays None.
    texts = pc.binary_join_element_wise(walls, _offset_texts(parsed, local, present), "")
    return texts.to_pylist(), not present.all()


def _wall_texts(local: np.ndarray, present: np.ndarray) -> pa.Array:
    """Local wall times as ISO text (null where missing), with fractions only if some
    value has them."""
    whole = local.astype("datetime64[s]")
    exact = whole if (whole == local)[present].all() else local.astype("datetime64[us]")
    # Arrow writes "2022-04-25 12:21:55"; ISO 8601 puts a T between date and time.
    spaced = pc.cast(pa.array(exact), pa.string())
    return pc.replace_substring(spaced, " ", "T", max_replacements=1)


def _offset_texts(
    parsed: pd.Series, local: np.ndarray, present: np.ndarray
) -> pa.Array | pa.Scalar:
    """Each value's UTC offset as +HH:MM (usually one or two distinct offsets per column);
    rows without a time get +00:00, which the null wall text then hides."""
    utc = parsed.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    offsets = np.zeros(len(local), dtype=np.int64)
    offsets[present] = (local[present] - utc[present]) // np.timedelta64(1, "s")
    labels, which = np.unique(offsets, return_inverse=True)
    texts = pa.array([_offset_text(int(s)) for s in labels], pa.string())
    return texts[0] if len(texts) == 1 else texts.take(which)


def to_long(payloads: Iterable[dict[str, Any]], kind: str) -> pd.DataFrame:
    """The inverse of ``build``: one row per line item, order-level fields repeated.

    Columns are API field names in the reference's order; dateTime stays the
    wire text and segments stay lists. A body without line items gives one row
    with empty line fields.

    Example:
        >>> long = to_long([{"id": "1", "lineItems": [{"productId": "a"}, {"productId": "b"}]}], "orders")
        >>> long.to_dict("list")
        {'id': ['1', '1'], 'productId': ['a', 'b']}

    Raises:
        ValueError: kind is unknown.
    """
    heads, lines = header_fields(kind), line_fields(kind)
    rows: list[dict[str, Any]] = []
    for body in payloads:
        head = {k: v for k, v in body.items() if k != "lineItems"}
        rows.extend({**head, **item} for item in body.get("lineItems") or [{}])
    present = {k for row in rows for k in row}
    known = [f for f in (*heads, *lines) if f in present]
    extra = sorted(present - set(known))
    return pd.DataFrame(rows, columns=[*known, *extra] if rows else [*heads, *lines])
