"""Pack payloads into gzip POST bodies that fit the gateway's limits.

A batch holds at most ``max_records`` records and its gzip body is at most
``max_bytes`` bytes. The size is measured on the exact compressed bytes that
will be sent, never estimated: the body is produced while it is measured.

How, quickly: records are serialised with orjson (5-10x the stdlib's
``json.dumps`` on payloads) and compressed at level 1 (bench/prepare.py prints
the figures behind both choices). When a whole batch of ``max_records`` fits
(small orders, the common case) one ``orjson.dumps`` of the batch and one
ISA-L (``isal``) compression both measure and produce the body. Otherwise
records are fed one by one to a ``zlib.compressobj`` (ISA-L's cannot be
copied); to learn what the body would weigh with the closing ``]`` a
``copy()`` of the compressor is finished. The bytes of that
finished copy ARE the candidate body, so what is measured is what is sent, and
the cost stays linear (recompressing the whole batch per added order would be
O(n²)).
"""

from __future__ import annotations

import math
import zlib
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from typing import Any

import orjson
from isal import isal_zlib

from omninb.fields import LIMITS

__all__ = ["GZIP_LEVEL", "Batch", "Oversize", "encode", "pack", "split"]

_GZIP_WBITS = 31  # 16 + 15: gzip header and trailer around a deflate stream
# Level 1, not zlib's default 6: measured on 200,000 3-line orders zlib compresses
# ~3x faster for bodies ~20% larger (5.7 KB instead of 4.7 KB per 100 orders,
# far below 100 KB). Only orders of 100+ lines fill 100 KB first, and then a
# batch holds ~50 orders instead of ~62: more requests, same orders per second,
# since the gateway caps orders, not requests. ISA-L's level 1 (whole batches)
# is ~3x faster again than zlib's, with bodies ~7% smaller than zlib's level 1.
GZIP_LEVEL = 1
# A datetime must reach the wire as the builder's text with its UTC offset;
# orjson would write a naive one without offset, so let it fail like json did.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME


@dataclass(frozen=True)
class Batch:
    """One POST body: the records, their keys and the exact gzip bytes to send.

    Attributes:
        records: the payload dicts, in input order.
        keys: ``str(record[key])`` for each record (order ids, or return ids).
        body: the gzip-compressed JSON array, exactly as it goes on the wire.
    """

    records: tuple[Mapping[str, Any], ...]
    keys: tuple[str, ...]
    body: bytes = field(repr=False)

    def __len__(self) -> int:
        return len(self.records)

    @property
    def size(self) -> int:
        """Compressed size of the body in bytes."""
        return len(self.body)


@dataclass(frozen=True)
class Oversize:
    """A record that alone compresses above ``max_bytes``: reported, never sent.

    Attributes:
        key: the record's key (order id or return id).
        size: gzip size in bytes of a body holding only this record.
    """

    key: str
    size: int


def encode(record: Mapping[str, Any]) -> bytes:
    """Serialise one payload as compact UTF-8 JSON, the way every body is built.

    Example:
        >>> encode({"id": "1", "lineItems": [{"unitPrice": 256.678}]})
        b'{"id":"1","lineItems":[{"unitPrice":256.678}]}'

    Raises:
        ValueError: the record holds NaN or infinity (the API rejects them); the
            message names the field, e.g. ``lineItems[1].unitPrice``.
        TypeError: the record holds a value JSON cannot represent (a set, a
            datetime object, an integer beyond 64 bits, a non-text key).
    """
    encoded = _dumps(record)
    if b"null" in encoded:
        _refuse_non_finite(record, "")
    return encoded


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_float_subclass, option=_OPTIONS)


def _float_subclass(value: Any) -> float:
    """numpy.float64 and other float subclasses, which json.dumps took and orjson does not."""
    if isinstance(value, float):
        return float(value)
    raise TypeError(f"{type(value).__name__} {value!r} cannot be sent as JSON")


def _refuse_non_finite(value: Any, path: str) -> None:
    """Raise ValueError at the first NaN or infinity in ``value``.

    orjson writes NaN and infinity as ``null`` instead of refusing them, so
    ``encode`` calls this only when its output holds ``null``: valid payloads
    leave absent fields out, so the walk is rare and clean bodies pay one scan.
    """
    if isinstance(value, float) and not math.isfinite(value):
        where = path or "the value"
        raise ValueError(
            f"{where} is {value}, which JSON and the API cannot take; "
            "send a finite number, or leave the field out if it is unknown"
        )
    if isinstance(value, Mapping):
        for name, item in value.items():
            _refuse_non_finite(item, f"{path}.{name}" if path else str(name))
    elif isinstance(value, (list, tuple)):
        for n, item in enumerate(value):
            _refuse_non_finite(item, f"{path}[{n}]")


def _array(records: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> bytes:
    """The JSON array of ``records``: one orjson call, same bytes as joining ``encode``s."""
    encoded = _dumps(records if isinstance(records, list) else list(records))
    if b"null" in encoded:
        for record, key in zip(records, keys, strict=True):
            _encode_keyed(record, key)
    return encoded


def _encode_keyed(record: Mapping[str, Any], key: str) -> bytes:
    """``encode``, with the record's key in the message of a refusal."""
    try:
        return encode(record)
    except ValueError as exc:
        raise ValueError(f"record {key}: {exc}") from None


def _gzip(body: bytes) -> bytes:
    return isal_zlib.compress(body, GZIP_LEVEL, wbits=_GZIP_WBITS)


class _Builder:
    """Accumulates encoded records into one gzip body, measuring as it goes.

    The body is the compressor's output up to the last accepted record's trial
    (``_head[:_cut]``) followed by that trial's finished output (``_tail``):
    exactly the bytes whose length was compared with the limit.
    """

    def __init__(self) -> None:
        self._zip = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, _GZIP_WBITS)
        self._head = [self._zip.compress(b"[")]
        self._cut, self._tail = 1, b""
        self.records: list[Mapping[str, Any]] = []
        self.keys: list[str] = []

    def measure(self, encoded: bytes) -> tuple[bytes, int]:
        """Return (tail, size) of the body if ``encoded`` were appended and closed."""
        trial = self._zip.copy()
        sep = b"," if self.records else b""
        tail = trial.compress(sep + encoded + b"]") + trial.flush()
        return tail, sum(map(len, self._head)) + len(tail)

    def add(self, record: Mapping[str, Any], key: str, encoded: bytes, tail: bytes) -> None:
        sep = b"," if self.records else b""
        self._cut, self._tail = len(self._head), tail
        self._head.append(self._zip.compress(sep + encoded))
        self.records.append(record)
        self.keys.append(key)

    def batch(self) -> Batch:
        body = b"".join(self._head[: self._cut]) + self._tail
        return Batch(tuple(self.records), tuple(self.keys), body)


class _Source:
    """Records with a look-ahead of up to ``n`` records."""

    def __init__(self, payloads: Iterable[Mapping[str, Any]], key: str) -> None:
        self._it = iter(payloads)
        self.key = key
        self.ahead: deque[Mapping[str, Any]] = deque()

    def peek(self, n: int) -> list[Mapping[str, Any]]:
        if len(self.ahead) < n:
            self.ahead.extend(islice(self._it, n - len(self.ahead)))
        return list(islice(self.ahead, n))


def _whole(source: _Source, max_records: int, max_bytes: int) -> Batch | None:
    """Fast path: one encoding and one compression of the next records, if they fit."""
    records = source.peek(max_records)
    batch = _build(records, list(map(str, map(itemgetter(source.key), records))))
    if batch.size > max_bytes:
        return None
    for _ in records:
        source.ahead.popleft()
    return batch


def _grow(source: _Source, max_records: int, max_bytes: int) -> Iterator[Batch | Oversize]:
    """Slow path: add records one by one, measuring each exactly, until one does not fit."""
    builder = _Builder()
    while len(builder.records) < max_records and source.peek(1):
        record = source.ahead[0]
        key = str(record[source.key])
        encoded = _encode_keyed(record, key)
        tail, size = builder.measure(encoded)
        if size > max_bytes and builder.records:
            break
        source.ahead.popleft()
        if size > max_bytes:
            yield Oversize(key, size)
        else:
            builder.add(record, key, encoded, tail)
    if builder.records:
        yield builder.batch()


def pack(
    payloads: Iterable[Mapping[str, Any]],
    *,
    max_records: int = LIMITS.max_records_per_post,
    max_bytes: int = LIMITS.max_gzip_bytes,
    key: str = "id",
) -> Iterator[Batch | Oversize]:
    """Group payloads, in order, into batches as full as both limits allow.

    Each yielded ``Batch`` holds at most ``max_records`` records and a gzip body
    of at most ``max_bytes`` bytes. A record that alone is over ``max_bytes``
    yields an ``Oversize`` instead and is left out; packing goes on after it.
    Records are consumed lazily, ``max_records`` at a time.

    Example:
        >>> orders = [{"id": str(i), "userId": "u"} for i in range(250)]
        >>> [len(b) for b in pack(orders)]
        [100, 100, 50]

    Raises:
        ValueError: a limit is not positive, or a record holds NaN/infinity
            (the message names the record's key and the field).
        TypeError: a record holds a value JSON cannot represent.
        KeyError: a record has no ``key`` field.
    """
    if max_records < 1 or max_bytes < 1:
        raise ValueError(
            f"max_records and max_bytes must be positive, not {max_records}, {max_bytes}"
        )
    source, fast = _Source(payloads, key), True
    while source.peek(1):
        # Small orders: a whole batch fits, one compression per batch. Once the
        # byte limit has cut a batch, the next one likely needs cutting too.
        batch = _whole(source, max_records, max_bytes) if fast else None
        if batch is not None:
            yield batch
            continue
        for item in _grow(source, max_records, max_bytes):
            fast = isinstance(item, Batch) and len(item) == max_records
            yield item


def _build(records: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> Batch:
    return Batch(tuple(records), tuple(keys), _gzip(_array(records, keys)))


def split(batch: Batch) -> tuple[Batch, Batch]:
    """Cut a batch into two halves (first half keeps the extra record), for a 413.

    Example:
        >>> whole = next(pack([{"id": str(i)} for i in range(5)]))
        >>> [b.keys for b in split(whole)]
        [('0', '1', '2'), ('3', '4')]

    Raises:
        ValueError: the batch holds a single record and cannot be split.
    """
    if len(batch.records) < 2:
        keys = ", ".join(batch.keys)
        raise ValueError(
            f"cannot split a batch of one record (order {keys}); it is too large alone"
        )
    mid = (len(batch.records) + 1) // 2
    first = _build(batch.records[:mid], batch.keys[:mid])
    second = _build(batch.records[mid:], batch.keys[mid:])
    return first, second
