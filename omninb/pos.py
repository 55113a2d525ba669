"""Read POS exports (CSV, Parquet, Excel or a DataFrame) into long frames named after API fields.

One row per line item; order-level columns repeat on each row. Identifier and
other text columns are read as text so ids keep every digit (no ``4556.0``).
Rows of one order must sit next to each other: an order id that comes back
later in the file is an error, never silently merged or split, because a
chunked reader could otherwise send half an order.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, overload

import numpy as np
import pandas as pd

from omninb.errors import ConfigError, ValidationError
from omninb.fields import ID_FIELDS, list_fields, record_key

__all__ = ["TEXT_FIELDS", "NonContiguousOrderError", "load_mapping", "parse_datetimes", "read_pos"]

# Fields read as text whatever they look like, so "00123" and 9007199254740993 survive.
TEXT_FIELDS = (
    *ID_FIELDS,
    "channel",
    "paymentMethod",
    "emailHash",
    "ccHash",
    "couponCode",
    "currency",
    "creditType",
    *list_fields(),
)
_CSV = (".csv", ".txt", ".gz", ".bz2", ".zip", ".xz")
_PARQUET = (".parquet", ".pq")
_EXCEL = (".xlsx", ".xlsm", ".xls")


class NonContiguousOrderError(ValidationError):
    """An order's rows are not next to each other in the export.

    Attributes:
        order_id: the id that reappears.
        rows: the row labels of every row of that order seen so far.
    """

    def __init__(self, key: str, order_id: Any, rows: list[Any]) -> None:
        self.order_id = order_id
        self.rows = rows
        super().__init__(
            f"{key} {order_id!r} appears on rows {_row_list(rows)} with other orders in between. "
            f"Rows of one order must be next to each other: sort the export by {key} "
            f"(keeping line order, e.g. df.sort_values({key!r}, kind='stable')) "
            "or give the later rows their own id if it was reused."
        )


def _row_list(rows: list[Any], limit: int = 8) -> str:
    text = ", ".join(str(r) for r in rows[:limit])
    return text + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


Source = str | os.PathLike[str] | pd.DataFrame
Columns = Mapping[str, str] | str | os.PathLike[str] | None


@overload
def read_pos(
    source: Source,
    kind: str = ...,
    columns: Columns = ...,
    tz: str | None = ...,
    chunksize: None = ...,
) -> pd.DataFrame: ...
@overload
def read_pos(
    source: Source,
    kind: str = ...,
    columns: Columns = ...,
    tz: str | None = ...,
    *,
    chunksize: int,
) -> Iterator[pd.DataFrame]: ...
def read_pos(
    source: Source,
    kind: str = "orders",
    columns: Columns = None,
    tz: str | None = None,
    chunksize: int | None = None,
) -> pd.DataFrame | Iterator[pd.DataFrame]:
    """Read a POS export into a long DataFrame with API column names.

    Args:
        source: a .csv (optionally compressed), .parquet or .xlsx path, or a DataFrame.
        kind: "orders" or "returns"; decides which column identifies a record.
        columns: POS column -> API field, e.g. {"TransactionID": "id"}, or the path of a JSON
            file holding that mapping; other columns keep their names.
        tz: time zone (e.g. "Asia/Tokyo") for timestamps written without a UTC offset.
        chunksize: if given, yield DataFrames of about this many rows, each holding whole orders.

    Example:
        >>> df = read_pos(pd.DataFrame({"Txn": [1, 1], "Qty": [1, 2]}), columns={"Txn": "id", "Qty": "quantity"})
        >>> list(df.columns)
        ['id', 'quantity']

    Raises:
        ConfigError: unknown file type, ``columns`` names a column the export lacks, or its
            JSON file is not an object of strings.
        NonContiguousOrderError: an order's rows are split by other orders (a ValidationError).
        FileNotFoundError: the path does not exist.
    """
    key = record_key(kind)
    mapping = load_mapping(columns)
    if chunksize is None:
        frame = _prepare(_read_all(source, mapping), mapping, tz)
        if key in frame.columns:
            _check_contiguous(frame, key, _Seen())
        return frame
    if chunksize < 1:
        raise ConfigError(f"chunksize must be a positive number of rows, not {chunksize}")
    return _whole_orders(_read_chunks(source, mapping, chunksize), mapping, tz, key)


def load_mapping(columns: Columns) -> dict[str, str]:
    """The POS column -> API field mapping, given as a dict or as a JSON file's path.

    Example:
        >>> load_mapping({"Txn": "id"})
        {'Txn': 'id'}

    Raises:
        ConfigError: the file is not a JSON object whose keys and values are strings.
        FileNotFoundError: the path does not exist.
    """
    if columns is None or isinstance(columns, Mapping):
        return dict(columns or {})
    try:
        mapping = json.loads(Path(columns).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"The column mapping {columns} is not valid JSON ({exc}).") from exc
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise ConfigError(
            f'The column mapping {columns} must be a JSON object like {{"TransactionID": "id"}}.'
        )
    return mapping


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if len(suffixes) > 1 and suffixes[-1] in _CSV[2:]:
        return suffixes[-2]
    return suffixes[-1] if suffixes else ""


def _text_dtypes(mapping: Mapping[str, str]) -> dict[str, Any]:
    names = {pos for pos, api in mapping.items() if api in TEXT_FIELDS}
    names |= {f for f in TEXT_FIELDS if f not in mapping.values()}
    return dict.fromkeys(sorted(names), str)


def _kind_of(source: str | os.PathLike[str]) -> str:
    suffix = _suffix(Path(source))
    for name, group in (("csv", _CSV), ("parquet", _PARQUET), ("excel", _EXCEL)):
        if suffix in group:
            return name
    raise ConfigError(
        f"Cannot read {os.fspath(source)!r}: unknown file type {suffix!r}. "
        "Use a .csv, .parquet or .xlsx export, or pass a DataFrame."
    )


def _read_all(source: Any, mapping: Mapping[str, str]) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.copy()
    kind = _kind_of(source)
    if kind == "csv":
        return pd.read_csv(source, dtype=_text_dtypes(mapping))
    if kind == "parquet":
        return pd.read_parquet(source)
    return pd.read_excel(source, dtype=_text_dtypes(mapping))


def _read_chunks(source: Any, mapping: Mapping[str, str], size: int) -> Iterator[pd.DataFrame]:
    if not isinstance(source, pd.DataFrame) and _kind_of(source) == "csv":
        yield from pd.read_csv(source, dtype=_text_dtypes(mapping), chunksize=size)
        return
    if not isinstance(source, pd.DataFrame) and _kind_of(source) == "parquet":
        yield from _parquet_chunks(source, size)
        return
    frame = _read_all(source, mapping)
    for start in range(0, len(frame), size):
        yield frame.iloc[start : start + size]


def _parquet_chunks(source: Any, size: int) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    offset = 0
    for batch in pq.ParquetFile(source).iter_batches(batch_size=size):
        chunk = batch.to_pandas()
        # Row labels continue across chunks so error messages name rows of the whole file.
        chunk.index = pd.RangeIndex(offset, offset + len(chunk))
        offset += len(chunk)
        yield chunk


def _prepare(frame: pd.DataFrame, mapping: Mapping[str, str], tz: str | None) -> pd.DataFrame:
    missing = [pos for pos in mapping if pos not in frame.columns]
    if missing:
        raise ConfigError(
            f"columns= maps {missing} but the export has no such column. "
            f"Its columns are: {list(frame.columns)}. Fix the mapping's POS-side names."
        )
    frame = frame.rename(columns=dict(mapping))
    duplicated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if duplicated:
        raise ConfigError(
            f"Several columns end up named {duplicated} after applying columns=. "
            "Map only one POS column to each API field."
        )
    if "dateTime" in frame.columns:
        frame["dateTime"] = parse_datetimes(frame["dateTime"], tz)
    return frame


# infer_dtype answers that to_datetime(format="ISO8601") can read at once.
_DATE_TEXTS = frozenset({"string", "datetime", "datetime64", "date", "empty"})


def parse_datetimes(series: pd.Series, tz: str | None = None) -> pd.Series:
    """Parse a dateTime column, localising naive values to ``tz`` when given.

    The result is a tz-aware datetime column when all values share one zone,
    otherwise an object column of Timestamps (several offsets, or naive ones
    left for validation to report); unparseable values are kept as they were.

    Example:
        >>> parse_datetimes(pd.Series(["2022-04-25 14:30:00"]), tz="Asia/Tokyo")[0].isoformat()
        '2022-04-25T14:30:00+09:00'

    Raises:
        Nothing; problems are left in place for ``schemas.validate`` to report.
    """
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series
    if pd.api.types.is_datetime64_dtype(series.dtype):
        return _localize(series, tz) if tz else series
    if pd.api.types.infer_dtype(series, skipna=True) not in _DATE_TEXTS:
        # Numbers, lists, mixed objects: pandas would read numbers as epochs (and warns
        # that it will); they are not ISO 8601 texts, so each value is looked at alone.
        return _parse_each(series, tz)
    try:
        parsed = pd.to_datetime(series, format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        return _parse_each(series, tz)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype) or not tz:
        return parsed
    return _localize(parsed, tz)


def _localize(series: pd.Series, tz: str) -> pd.Series:
    try:
        return series.dt.tz_localize(tz, ambiguous="raise", nonexistent="raise")
    except (ValueError, TypeError):
        # A wall time skipped or repeated by a DST change cannot be placed: leave those
        # naive (validation reports them) and localise the rest one by one.
        return _parse_each(series, tz)


def _parse_one(value: Any, tz: str | None) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return pd.NaT
    if isinstance(value, int | float | np.number):
        return value  # a number is no date: kept for validation to report
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return value
    if stamp.tzinfo is None and tz:
        try:
            return stamp.tz_localize(tz, ambiguous="raise", nonexistent="raise")
        except (ValueError, TypeError):
            return stamp
    return stamp


def _parse_each(series: pd.Series, tz: str | None) -> pd.Series:
    return pd.Series([_parse_one(v, tz) for v in series], index=series.index, dtype=object)


def _runs(keys: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Start positions of runs of equal keys, and each run's key code (-1: missing key)."""
    codes, _ = pd.factorize(keys)
    if len(codes) == 0:
        return np.array([], dtype=np.intp), codes
    change = np.r_[True, (codes[1:] != codes[:-1]) | (codes[1:] < 0)]
    starts = np.flatnonzero(change)
    return starts, codes[starts]


class _Seen:
    """Orders finished in earlier chunks: 64-bit hashes of their ids and their row span.

    About 24 bytes an order, where a dict of ids cost over 200: a multi-million-row
    export read in chunks keeps its memory bounded. Two distinct ids sharing a
    64-bit hash (odds ~1e-7 for 10 million orders) would be reported as split.
    """

    def __init__(self) -> None:
        self._blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, ids: np.ndarray, first: np.ndarray, last: np.ndarray) -> None:
        self._blocks.append(_sorted_block(_hash_ids(ids), first, last))
        # Merge blocks of similar size (as an LSM tree does): O(log n) blocks to
        # search per chunk instead of one per chunk read so far.
        while len(self._blocks) > 1 and len(self._blocks[-2][0]) <= 2 * len(self._blocks[-1][0]):
            newer, older = self._blocks.pop(), self._blocks.pop()
            self._blocks.append(
                _sorted_block(*(np.concatenate(pair) for pair in zip(older, newer, strict=True)))
            )

    def rows_of(self, ids: np.ndarray) -> tuple[np.ndarray, list[Any]]:
        """Which ids were seen (mask), and the rows of the first one seen."""
        hashes, hit = _hash_ids(ids), np.zeros(len(ids), dtype=bool)
        rows: list[Any] = []
        for block, first, last in self._blocks:
            at = np.minimum(np.searchsorted(block, hashes), max(len(block) - 1, 0))
            found = block[at] == hashes if len(block) else hit & False
            if found.any() and not rows:
                j = at[np.flatnonzero(found)[0]]
                rows = [first[j]] if first[j] == last[j] else [f"{first[j]}-{last[j]}"]
            hit |= found
        return hit, rows


def _sorted_block(
    hashes: np.ndarray, first: np.ndarray, last: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.argsort(hashes, kind="stable")
    return hashes[order], first[order], last[order]


def _hash_ids(ids: np.ndarray) -> np.ndarray:
    return pd.util.hash_array(np.asarray(ids, dtype=object))


def _check_contiguous(frame: pd.DataFrame, key: str, seen: _Seen) -> None:
    """Raise when a key has two runs in ``frame`` or already ended in an earlier chunk."""
    starts, run_codes = _runs(frame[key])
    ids = frame[key].to_numpy()[starts][run_codes >= 0]
    repeated = pd.Series(run_codes[run_codes >= 0]).duplicated(keep=False).to_numpy()
    earlier, _ = seen.rows_of(ids)
    bad = np.flatnonzero(repeated | earlier)
    if len(bad) == 0:
        return
    order_id = ids[bad[0]]
    before = seen.rows_of(np.array([order_id], dtype=object))[1]
    rows = before + list(frame.index[(frame[key] == order_id).to_numpy()])
    raise NonContiguousOrderError(key, order_id, rows)


def _whole_orders(
    chunks: Iterator[pd.DataFrame], mapping: Mapping[str, str], tz: str | None, key: str
) -> Iterator[pd.DataFrame]:
    carry: pd.DataFrame | None = None
    seen = _Seen()
    for raw in chunks:
        chunk = _require_key(_prepare(raw, mapping, tz), key)
        if carry is not None:
            chunk = pd.concat([carry, chunk])
        _check_contiguous(chunk, key, seen)
        body, carry = _split_last_order(chunk, key)
        _remember(seen, body, key)
        if len(body):
            yield body
    if carry is not None and len(carry):
        yield carry


def _require_key(chunk: pd.DataFrame, key: str) -> pd.DataFrame:
    if key not in chunk.columns:
        raise ConfigError(
            f"Cannot read whole {key} groups: the export has no {key!r} column after "
            f"applying columns=. Map the POS column holding it, e.g. columns={{'TransactionID': {key!r}}}."
        )
    return chunk


def _split_last_order(chunk: pd.DataFrame, key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold back the last order: its remaining rows may be in the next chunk."""
    starts, _ = _runs(chunk[key])
    cut = int(starts[-1]) if len(starts) else 0
    return chunk.iloc[:cut], chunk.iloc[cut:]


def _remember(seen: _Seen, body: pd.DataFrame, key: str) -> None:
    """Note each finished order's id and first and last row."""
    if body.empty:
        return
    starts, codes = _runs(body[key])
    ends = np.r_[starts[1:], len(body)] - 1
    keep = codes >= 0
    ids = body[key].to_numpy()[starts][keep]
    seen.add(ids, body.index.to_numpy()[starts][keep], body.index.to_numpy()[ends][keep])
