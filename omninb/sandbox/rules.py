"""The gateway's body rules: size, encoding and shape (HTTP errors), then each record's fields.

A body that breaks the request rules is refused as a whole (400/413). A record
that breaks a field rule is not stored and becomes one WARNING event, with the
first problem found as its message, the way the gateway reports it.
"""

from __future__ import annotations

import functools
import json
import math
import zlib
from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from omninb.fields import LIMITS, header_fields, line_fields, mandatory_fields
from omninb.sandbox.refusal import Refusal

__all__ = ["decode_body", "record_problem", "records_of"]

_MAX_INFLATED = 50_000_000  # refuse gzip bombs: far above any real 100-order batch


def decode_body(raw: bytes, content_encoding: str | None) -> Any:
    """Parse a request body as received (gzip or plain JSON).

    Example:
        >>> import gzip
        >>> decode_body(gzip.compress(b'[{"id": 1}]'), "gzip")
        [{'id': 1}]

    Raises:
        Refusal: 413 when the body as received exceeds 100,000 bytes; 400 when it is
            not gzip though labelled so, uses an unknown encoding, or is not JSON.
    """
    if len(raw) > LIMITS.max_gzip_bytes:
        raise Refusal(
            413,
            f"The request body is {len(raw):,} bytes as received; the gateway accepts at most "
            f"{LIMITS.max_gzip_bytes:,} bytes (gzip-compressed). Send fewer orders per request.",
        )
    text = _inflate(raw, (content_encoding or "identity").strip().lower())
    try:
        return json.loads(text, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refusal(400, f"The body is not valid JSON ({exc}). Send UTF-8 JSON.") from exc


def _inflate(raw: bytes, encoding: str) -> bytes:
    if encoding == "identity":
        return raw
    if encoding not in ("gzip", "x-gzip"):
        raise Refusal(
            400, f"Content-Encoding {encoding!r} is not supported. Send gzip or plain JSON."
        )
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(raw, _MAX_INFLATED)
    except zlib.error as exc:
        raise Refusal(
            400, f"The body says Content-Encoding: gzip but is not gzip ({exc})."
        ) from exc
    if inflater.unconsumed_tail:
        raise Refusal(413, f"The body inflates to more than {_MAX_INFLATED:,} bytes.")
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; send a finite number")


def records_of(body: Any, *, batch: bool, user_id: str | None = None) -> list[dict[str, Any]]:
    """The records of a parsed body: a POST's array (1..100 objects) or a PUT's one object.

    A PUT's userId comes from its URL, as in the reference.

    Example:
        >>> records_of({"id": 1}, batch=False, user_id="u9")
        [{'id': 1, 'userId': 'u9'}]

    Raises:
        Refusal: 400 when the shape is wrong; 413 when a POST has more than 100 records.
    """
    if not batch:
        if not isinstance(body, dict):
            raise Refusal(
                400, f"A PUT body must be one JSON object, not a JSON {_json_type(body)}."
            )
        return [{**body, "userId": user_id}]
    if not isinstance(body, list) or not body:
        what = "an empty array" if body == [] else f"a JSON {_json_type(body)}"
        raise Refusal(400, f"A POST body must be a JSON array of 1 to 100 objects, not {what}.")
    if len(body) > LIMITS.max_records_per_post:
        raise Refusal(
            413,
            f"The POST carries {len(body)} records; the gateway accepts at most "
            f"{LIMITS.max_records_per_post}. Split it into smaller batches.",
        )
    bad = [i for i, item in enumerate(body) if not isinstance(item, dict)]
    if bad:
        raise Refusal(
            400, f"A POST body must hold JSON objects; items at positions {bad[:5]} are not."
        )
    return body


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def record_problem(record: dict[str, Any], kind: str, catalog: frozenset[str] | None) -> str | None:
    """The first rule this record breaks, as the WARNING message, or None if it is valid.

    Example:
        >>> rec = {"id": 1, "userId": "u", "dateTime": "2022-04-25T12:21:55+09:00",
        ...        "lineItems": [{"productId": 4556, "quantity": 1, "unitPrice": 2.5}]}
        >>> record_problem(rec, "orders", frozenset({"4556"})) is None
        True
        >>> record_problem(rec, "orders", frozenset())
        'No product is found for product ID 4556'

    Raises:
        ValueError: kind is not 'orders' or 'returns'.
    """
    plan = _plan(kind)
    for name in plan.header_mandatory:
        if _blank(record.get(name)):
            return f"Mandatory field {name} is missing"
    return (
        _datetime_problem(record["dateTime"])
        or _fields_problem(record, plan.header_rules, "")
        or _lines_problem(record.get("lineItems"), plan, catalog)
    )


class _Plan(NamedTuple):
    """A kind's rules, resolved once: which fields are mandatory and which checks apply."""

    header_mandatory: tuple[str, ...]
    line_mandatory: tuple[str, ...]
    header_rules: tuple[tuple[str, Callable[[Any], bool], str], ...]
    line_rules: tuple[tuple[str, Callable[[Any], bool], str], ...]


@functools.cache
def _plan(kind: str) -> _Plan:
    header, lines, mandatory = header_fields(kind), line_fields(kind), mandatory_fields(kind)
    return _Plan(
        tuple(f for f in mandatory if f in header),
        tuple(f for f in mandatory if f in lines),
        tuple((f, *_RULES[f]) for f in header if f in _RULES),
        tuple((f, *_RULES[f]) for f in lines if f in _RULES),
    )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _datetime_problem(value: Any) -> str | None:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        return (
            f"Invalid dateTime {value!r}: expected ISO 8601 with a UTC offset, "
            "e.g. 2022-04-25T12:21:55+09:00"
        )
    return None


def _lines_problem(lines: Any, plan: _Plan, catalog: frozenset[str] | None) -> str | None:
    if not isinstance(lines, list) or not lines:
        return "Mandatory field lineItems is missing: send a non-empty array of line items"
    for i, line in enumerate(lines):
        problem = _line_problem(line, f"lineItems[{i}]", plan, catalog)
        if problem:
            return problem
    return None


def _line_problem(line: Any, where: str, plan: _Plan, catalog: frozenset[str] | None) -> str | None:
    if not isinstance(line, dict):
        return f"{where} is not a JSON object"
    missing = next((f for f in plan.line_mandatory if _blank(line.get(f))), None)
    if missing:
        return f"Mandatory field {where}.{missing} is missing"
    problem = _fields_problem(line, plan.line_rules, where + ".")
    if problem:
        return problem
    if catalog is not None and str(line["productId"]) not in catalog:
        return f"No product is found for product ID {line['productId']}"
    return None


def _fields_problem(
    obj: dict[str, Any], rules: tuple[tuple[str, Callable[[Any], bool], str], ...], where: str
) -> str | None:
    for name, check, message in rules:
        value = obj.get(name)
        if value is not None and not check(value):
            return f"Field {where}{name} {message} (got {value!r})"
    return None


@functools.cache
def _currencies() -> frozenset[str]:
    import pycountry  # lazy: only bodies with a currency need the ISO 4217 list

    return frozenset(c.alpha_3 for c in pycountry.currencies)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_id(value: Any) -> bool:
    # The reference's own examples send ids as JSON numbers, so numbers are accepted too.
    return isinstance(value, str) or _is_number(value)


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


_MONEY = (lambda v: _is_number(v) and v >= 0, "must be a number >= 0")
_ID = (_is_id, "must be a string")
_TEXT = (lambda v: isinstance(v, str), "must be a string")
_RULES: Mapping[str, tuple[Callable[[Any], bool], str]] = MappingProxyType(
    {
        **dict.fromkeys(("couponValue", "returnValue", "unitPrice"), _MONEY),
        **dict.fromkeys(
            ("id", "orderId", "returnId", "userId", "productId", "skuId", "storeId"), _ID
        ),
        **dict.fromkeys(
            ("channel", "paymentMethod", "emailHash", "ccHash", "couponCode", "creditType"), _TEXT
        ),
        **dict.fromkeys(
            ("segmentIds", "segmentNames"), (_is_strings, "must be an array of strings")
        ),
        "quantity": (lambda v: _is_int(v) and v > 0, "must be an integer > 0"),
        "regionId": (_is_int, "must be an integer"),
        "currency": (
            lambda v: isinstance(v, str) and v in _currencies(),
            "must be an ISO 4217 code such as USD",
        ),
    }
)
