"""A push with every outcome, for the status/reconcile/widgets tests (engineer V's helper)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

CATALOG = [f"P{i}" for i in range(1, 10)]
GHOST = "GHOST-{}"  # not in the catalog: the server rejects the order with a WARNING event


def is_rejected(i: int) -> bool:
    return i % 10 == 3


def is_invalid(i: int) -> bool:
    return i % 25 == 7  # never also rejected: 7, 32, 57, 82 end in 7 or 2


def mixed_orders(n: int = 120, prefix: str = "V") -> pd.DataFrame:
    """``n`` orders over 4 stores and 3 days, 1 to 3 lines each; some rejected, some invalid."""
    rows = []
    for i in range(n):
        day = pd.Timestamp("2024-03-01 09:00", tz="Asia/Tokyo") + pd.Timedelta(
            days=i % 3, minutes=i
        )
        for line in range(1 + i % 3):
            rows.append(
                {
                    "id": f"{prefix}{i}",
                    "userId": f"user{i % 17}",
                    "dateTime": day,
                    "storeId": f"S{i % 4}",
                    "productId": GHOST.format(i)
                    if is_rejected(i) and line == 0
                    else CATALOG[(i + line) % 9],
                    "quantity": 0 if is_invalid(i) else 1 + line,
                    "unitPrice": 10.0 + i % 7,
                }
            )
    return pd.DataFrame(rows)


def expected(n: int = 120, prefix: str = "V") -> dict[str, set[str]]:
    """The ids each outcome must hold for ``mixed_orders(n)``."""
    ids = {i: f"{prefix}{i}" for i in range(n)}
    rejected = {ids[i] for i in ids if is_rejected(i)}
    invalid = {ids[i] for i in ids if is_invalid(i)}
    return {
        "rejected": rejected,
        "invalid": invalid,
        "accepted": set(ids.values()) - rejected - invalid,
    }


@dataclass
class Pushed:
    df: pd.DataFrame
    result: Any
    client: Any
    sandbox: Any


def push_mixed(sandbox: Any, client: Any, n: int = 120, **options: Any) -> Pushed:
    """Push ``mixed_orders(n)`` with invalid rows skipped."""
    df = mixed_orders(n)
    result = df.omni.push(client, on_invalid="skip", progress=False, **options)
    return Pushed(df, result, client, sandbox)
