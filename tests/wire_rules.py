"""An independent checker of the API's wire rules for one body (H's test helper, not a test module).

Written from the vendor reference and DESIGN section 1, without omninb's own
validation code: ids and text are non-blank JSON strings, money finite numbers
>= 0, quantity a JSON integer > 0, dateTime ISO 8601 with a UTC offset,
segments arrays of non-blank strings, currency ISO 4217, no null/NaN anywhere,
no field the API does not know, no raw e-mail address or card number.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any

import pycountry

__all__ = ["wire_problems"]

_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}:\d{2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CURRENCIES = frozenset(c.alpha_3 for c in pycountry.currencies)

_TEXT = {"channel", "paymentMethod", "emailHash", "ccHash", "couponCode", "skuId", "creditType"}
_IDS = {"id", "orderId", "returnId", "userId", "productId", "storeId"}
_MONEY = {"couponValue", "unitPrice", "returnValue"}
_HEAD = {
    "orders": {
        "id", "channel", "userId", "dateTime", "paymentMethod", "emailHash", "ccHash",
        "regionId", "storeId", "segmentIds", "segmentNames", "currency", "couponCode",
        "couponValue", "lineItems",
    },
    "returns": {
        "orderId", "returnId", "channel", "userId", "dateTime", "paymentMethod", "emailHash",
        "ccHash", "regionId", "storeId", "returnValue", "segmentIds", "segmentNames",
        "currency", "lineItems",
    },
}  # fmt: skip
_LINE = {"orders": {"productId", "skuId", "quantity", "unitPrice"}}
_LINE["returns"] = _LINE["orders"] | {"creditType"}
_MANDATORY_HEAD = {
    "orders": ("id", "userId", "dateTime"),
    "returns": ("orderId", "returnId", "userId", "dateTime"),
}
_MANDATORY_LINE = ("productId", "quantity", "unitPrice")


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _card_like(text: str) -> bool:
    digits = re.sub(r"[ \-]", "", text)
    if not re.fullmatch(r"\d{13,19}", digits):
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _value_problem(name: str, v: Any) -> str | None:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return f"{name} is null/NaN/inf"
    if name in _IDS | _TEXT and (not isinstance(v, str) or not v.strip()):
        return f"{name} {v!r} is not a non-blank string"
    if name in _MONEY and not (_is_number(v) and v >= 0):
        return f"{name} {v!r} is not a finite number >= 0"
    if name == "quantity" and not (isinstance(v, int) and not isinstance(v, bool) and v > 0):
        return f"quantity {v!r} is not an integer > 0"
    if name == "regionId" and not (isinstance(v, int) and not isinstance(v, bool)):
        return f"regionId {v!r} is not an integer"
    if name == "dateTime":
        return _datetime_problem(v)
    if name in ("segmentIds", "segmentNames") and not (
        isinstance(v, list) and v and all(isinstance(s, str) and s.strip() for s in v)
    ):
        return f"{name} {v!r} is not a non-empty array of non-blank strings"
    if name == "currency" and v not in _CURRENCIES:
        return f"currency {v!r} is not ISO 4217"
    if name == "emailHash" and _EMAIL.fullmatch(v.strip()):
        return "emailHash holds a raw e-mail address"
    if name == "ccHash" and _card_like(v.strip()):
        return "ccHash holds a card number"
    return None


def _datetime_problem(v: Any) -> str | None:
    if not isinstance(v, str) or not _DATETIME.fullmatch(v):
        return f"dateTime {v!r} is not ISO 8601 with an offset"
    try:
        datetime.fromisoformat(v)
    except ValueError:
        return f"dateTime {v!r} is not a real date and time"
    return None


def _line_problems(kind: str, lines: Any) -> list[str]:
    if not isinstance(lines, list) or not lines:
        return ["lineItems is not a non-empty array"]
    out = []
    for n, line in enumerate(lines):
        if not isinstance(line, dict):
            out.append(f"lineItems[{n}] is not an object")
            continue
        out += [f"lineItems[{n}]: unknown field {k}" for k in set(line) - _LINE[kind]]
        out += [f"lineItems[{n}]: {f} missing" for f in _MANDATORY_LINE if f not in line]
        out += [p for k, v in line.items() if k in _LINE[kind] and (p := _value_problem(k, v))]
    return out


def wire_problems(body: Any, kind: str, *, method: str = "batch") -> list[str]:
    """Every rule ``body`` breaks (empty when it is a valid API body).

    Example:
        >>> wire_problems({"id": "1"}, "orders")[:1]
        ['userId missing']
    """
    if not isinstance(body, dict):
        return ["body is not an object"]
    try:
        json.dumps(body, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return [f"not JSON: {exc}"]
    mandatory = [f for f in _MANDATORY_HEAD[kind] if not (method == "single" and f == "userId")]
    out = [f"{f} missing" for f in mandatory if f not in body]
    out += [f"unknown field {k}" for k in set(body) - _HEAD[kind]]
    if method == "single" and "userId" in body:
        out.append("userId belongs in the URL of a PUT")
    for k, v in body.items():
        if k in _HEAD[kind] and k != "lineItems" and (p := _value_problem(k, v)):
            out.append(p)
    return out + _line_problems(kind, body.get("lineItems"))
