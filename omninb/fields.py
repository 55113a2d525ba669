"""The API's wire vocabulary: field names, which are mandatory, and the gateway's limits.

Shared by the validation schemas, the payload builder and the sandbox, so the
three can never disagree on a field name (see DESIGN section 1 for the
decisions taken where the vendor reference contradicts itself).
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "KINDS",
    "LIMITS",
    "Kind",
    "Limits",
    "header_fields",
    "line_fields",
    "list_fields",
    "mandatory_fields",
    "money_fields",
    "record_key",
]

Kind = Literal["orders", "returns"]
KINDS: Final = ("orders", "returns")

_ORDER_HEADER: Final = (
    "id",
    "channel",
    "userId",
    "dateTime",
    "paymentMethod",
    "emailHash",
    "ccHash",
    "regionId",
    "storeId",
    "segmentIds",
    "segmentNames",
    "currency",
    "couponCode",
    "couponValue",
)
_RETURN_HEADER: Final = (
    "orderId",
    "returnId",
    "channel",
    "userId",
    "dateTime",
    "paymentMethod",
    "emailHash",
    "ccHash",
    "regionId",
    "storeId",
    "returnValue",
    "segmentIds",
    "segmentNames",
    "currency",
)
_ORDER_LINE: Final = ("productId", "skuId", "quantity", "unitPrice")
_RETURN_LINE: Final = ("productId", "skuId", "quantity", "unitPrice", "creditType")

_MANDATORY: Final = {
    "orders": ("id", "userId", "dateTime", "productId", "quantity", "unitPrice"),
    "returns": ("orderId", "returnId", "userId", "dateTime", "productId", "quantity", "unitPrice"),
}
_MONEY: Final = {
    "orders": ("couponValue", "unitPrice"),
    "returns": ("returnValue", "unitPrice"),
}
# Identifier fields go on the wire as JSON strings whatever the input dtype.
ID_FIELDS: Final = ("id", "orderId", "returnId", "userId", "productId", "skuId", "storeId")


def _check(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be 'orders' or 'returns', not {kind!r}")


def header_fields(kind: str) -> tuple[str, ...]:
    """Order-level fields of a kind, in the reference's order.

    Example:
        >>> header_fields("orders")[:3]
        ('id', 'channel', 'userId')

    Raises:
        ValueError: kind is not 'orders' or 'returns'.
    """
    _check(kind)
    return _ORDER_HEADER if kind == "orders" else _RETURN_HEADER


def line_fields(kind: str) -> tuple[str, ...]:
    """Line-item fields of a kind.

    Example:
        >>> line_fields("returns")[-1]
        'creditType'

    Raises:
        ValueError: kind is not 'orders' or 'returns'.
    """
    _check(kind)
    return _ORDER_LINE if kind == "orders" else _RETURN_LINE


def mandatory_fields(kind: str) -> tuple[str, ...]:
    """Fields (header or line) that every record must carry.

    Example:
        >>> "userId" in mandatory_fields("orders")
        True

    Raises:
        ValueError: kind is not 'orders' or 'returns'.
    """
    _check(kind)
    return _MANDATORY[kind]


def money_fields(kind: str) -> tuple[str, ...]:
    """Monetary fields: finite, non-negative JSON numbers, never rounded.

    Example:
        >>> money_fields("orders")
        ('couponValue', 'unitPrice')

    Raises:
        ValueError: kind is not 'orders' or 'returns'.
    """
    _check(kind)
    return _MONEY[kind]


def list_fields() -> tuple[str, ...]:
    """Fields sent as JSON arrays of strings.

    Example:
        >>> list_fields()
        ('segmentIds', 'segmentNames')
    """
    return ("segmentIds", "segmentNames")


def record_key(kind: str) -> str:
    """The field that identifies one record of a kind (journal, ledger, reconcile).

    A return is identified by its returnId: one order may be returned several times.

    Example:
        >>> record_key("orders"), record_key("returns")
        ('id', 'returnId')

    Raises:
        ValueError: kind is not 'orders' or 'returns'.
    """
    _check(kind)
    return "id" if kind == "orders" else "returnId"


class Limits:
    """The gateway's published limits (one place, used by client and sandbox)."""

    rate_per_second: Final = 100  # records per sliding 1-second window per apiKey
    max_records_per_post: Final = 100
    max_gzip_bytes: Final = 100_000  # "100 KB"; the decimal reading is the stricter one
    token_ttl_seconds: Final = 28_800
    default_status_rows: Final = 5000


LIMITS: Final = Limits()
