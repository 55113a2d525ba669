"""Pack payloads into gzip POST bodies that fit the gateway's limits.

A batch holds at most ``max_records`` records and its gzip body is at most
``max_bytes`` bytes. The size is measured on the exact compressed bytes that
will be sent, never estimated: the body is produced while it is measured.

How, quickly: each record is serialised once. When a whole batch of
``max_records`` fits (small orders, the common case) one compression of the
batch both measures and produces the body. Otherwise records are fed one by one
to a ``zlib.compressobj``; to learn what the body would weigh with the closing
``]`` a ``copy()`` of the compressor is finished. The bytes of that finished
copy ARE the candidate body, so what is measured is what is sent, and the cost
stays linear (recompressing the whole batch per added order would be O(n²)).
"""

from __future__ import annotations

import json
import zlib
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from omninb.fields import LIMITS

__all__ = ["Batch", "Oversize", "encode", "pack", "split"]

_GZIP_WBITS = 31  # 16 + 15: gzip header and trailer around a deflate stream
_LEVEL = 6  # zlib's default: the best size/speed trade-off for JSON


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
        >>> encode({"id": "1", "lineItems": []})
        b'{"id":"1","lineItems":[]}'

    Raises:
        ValueError: the record holds NaN or infinity (the API rejects them).
        TypeError: the record holds a value JSON cannot represent.
    """
    text = json.dumps(record, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


class _Builder:
    """Accumulates encoded records into one gzip body, measuring as it goes.

    The body is the compressor's output up to the last accepted record's trial
    (``_head[:_cut]``) followed by that trial's finished output (``_tail``):
    exactly the bytes whose length was compared with the limit.
    """

    def __init__(self) -> None:
        self._zip = zlib.compressobj(_LEVEL, zlib.DEFLATED, _GZIP_WBITS)
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
    """Records encoded once, with a look-ahead of up to ``n`` records."""

    def __init__(self, payloads: Iterable[Mapping[str, Any]], key: str) -> None:
        self._it = iter(payloads)
        self._key = key
        self.ahead: deque[tuple[Mapping[str, Any], str, bytes]] = deque()

    def peek(self, n: int) -> list[tuple[Mapping[str, Any], str, bytes]]:
        while len(self.ahead) < n:
            record = next(self._it, None)
            if record is None:
                break
            self.ahead.append((record, str(record[self._key]), encode(record)))
        return list(islice(self.ahead, n))


def _whole(source: _Source, max_records: int, max_bytes: int) -> Batch | None:
    """Fast path: one compression of the next ``max_records`` records, if they fit."""
    items = source.peek(max_records)
    batch = _build([i[0] for i in items], [i[1] for i in items], [i[2] for i in items])
    if batch.size > max_bytes:
        return None
    for _ in items:
        source.ahead.popleft()
    return batch


def _grow(source: _Source, max_records: int, max_bytes: int) -> Iterator[Batch | Oversize]:
    """Slow path: add records one by one, measuring each exactly, until one does not fit."""
    builder = _Builder()
    while len(builder.records) < max_records and source.peek(1):
        record, key, encoded = source.ahead[0]
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
        ValueError: a limit is not positive, or a record holds NaN/infinity.
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


def _build(
    records: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    encoded: Sequence[bytes] | None = None,
) -> Batch:
    if encoded is None:
        encoded = [encode(r) for r in records]
    body = b"[" + b",".join(encoded) + b"]"
    zipper = zlib.compressobj(_LEVEL, zlib.DEFLATED, _GZIP_WBITS)
    return Batch(tuple(records), tuple(keys), zipper.compress(body) + zipper.flush())


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
