"""Failure reasons: a server or validation message with its varying values taken out.

"No product is found for product ID 6024383" and "... product ID product3" are
one reason, "No product is found for product ID {}": grouping by reason is how
an analyst sees what went wrong across thousands of orders. Pure functions, no I/O.
"""

from __future__ import annotations

import re

__all__ = ["normalise_reason"]

# Varying values inside a server message, most specific first. Each becomes "{}".
_VALUE_PATTERNS = (
    re.compile(r"'[^']*'|\"[^\"]*\""),  # quoted values
    re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    re.compile(r"\b\d{4}-\d{2}-\d{2}[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?"),  # timestamps
    re.compile(r"(?<=\[)\d+(?=\])"),  # positions: lineItems[3] -> lineItems[{}]
    re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w])"),  # 120,000 bytes
    # the token after an identifier keyword ("product ID product3", "order id A-17")
    re.compile(r"(?<=\b(?:ID|Id|id) )[^\s,;]+?(?=[.,;:]?(?:\s|$))"),
    re.compile(r"(?<=\bIDs )[^\s,;]+?(?=[.,;:]?(?:\s|$))"),
    # any other token holding a digit: counts, amounts, numeric ids
    re.compile(r"(?<!ISO )(?<![\w{])[^\s,;:=()\[\]{}]*\d[^\s,;:=()\[\]{}]*?(?=[.,;:)\]]?(?:\s|$))"),
)
_LIST_OF_VALUES = re.compile(r"\{\}(?:\s*(?:,|and)\s*\{\})+")


def normalise_reason(message: object) -> str:
    """The server's message with its varying values replaced by ``{}``, so failures group.

    Example:
        >>> normalise_reason("No product is found for product ID 6024383")
        'No product is found for product ID {}'
        >>> normalise_reason("Total records = 2. Success = 1. Failed = 1")
        'Total records = {}. Success = {}. Failed = {}'

    Raises:
        Nothing; a missing message (None, NaN) gives "".
    """
    if not isinstance(message, str):
        return ""
    reason = message.strip()
    for pattern in _VALUE_PATTERNS:
        reason = pattern.sub("{}", reason)
    return _LIST_OF_VALUES.sub("{}", reason)
