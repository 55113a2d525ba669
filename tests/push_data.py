"""Long order/return frames for the push tests (engineer P's helper; not a test module)."""

from __future__ import annotations

import random

import pandas as pd


def orders(
    n: int, *, seed: int = 1, start: int = 1000, max_lines: int = 3, prefix: str = "O"
) -> pd.DataFrame:
    """``n`` valid orders, 1..max_lines rows each, ids ``{prefix}{start + i}``."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        order, user, store = (
            f"{prefix}{start + i}",
            f"user{rng.randint(1, 50)}",
            f"S{rng.randint(1, 9)}",
        )
        for line in range(rng.randint(1, max_lines)):
            rows.append(
                {
                    "id": order,
                    "userId": user,
                    "dateTime": "2024-03-01T10:15:00+09:00",
                    "storeId": store,
                    "currency": "JPY",
                    "productId": f"P{rng.randint(1, 500)}-{line}",
                    "quantity": rng.randint(1, 5),
                    "unitPrice": round(rng.uniform(1, 500), 3),
                }
            )
    return pd.DataFrame(rows)


def returns(n: int, *, seed: int = 2) -> pd.DataFrame:
    """``n`` valid returns of one line each."""
    frame = orders(n, seed=seed, max_lines=1, prefix="R")
    frame = frame.rename(columns={"id": "returnId"})
    frame["orderId"] = frame["returnId"].str.replace("R", "O", regex=False)
    frame["returnValue"] = frame["unitPrice"] * frame["quantity"]
    return frame


def bulky(n: int, *, lines: int, seed: int = 3, prefix: str = "B") -> pd.DataFrame:
    """Orders with ``lines`` line items of random ids, which compress badly (for the byte limit)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        for _ in range(lines):
            rows.append(
                {
                    "id": f"{prefix}{i}",
                    "userId": f"u{i}",
                    "dateTime": "2024-03-01T10:15:00+00:00",
                    "productId": "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=40)),
                    "quantity": 1,
                    "unitPrice": round(rng.uniform(1, 500), 3),
                }
            )
    return pd.DataFrame(rows)


def stored(sandbox, kind: str = "orders") -> pd.Series:
    """How many times the sandbox stored each key of ``kind`` (index: key)."""
    ledger = sandbox.ledger()
    ledger = ledger[ledger["kind"] == kind]
    key = "id" if kind == "orders" else "returnId"
    return ledger.set_index(key)["stored"]
