"""Regenerate the sample POS exports in this folder, byte for byte (fixed seed).

    python data/make_data.py          # writes catalog.csv, orders.csv, returns.csv and the mappings

The exports use POS-style column names (see orders_columns.json /
returns_columns.json for the mapping to API fields), span several stores in
three time zones over a week, and contain a few deliberate faults (planted by
``spoil`` and printed at the end) so the validation report has something to show.
About 1% of lines name products that are not in catalog.csv: those rows are
valid to omninb but refused by the API (and by the sandbox).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from omninb.pii import hash_email

__all__ = ["main", "make_catalog", "make_orders", "make_returns"]

HERE = Path(__file__).resolve().parent
SEED = 20261120
N_ORDERS = 2500
STORES = {  # store -> (region, time zone)
    "PAR-01": (11, "Europe/Paris"),
    "PAR-02": (11, "Europe/Paris"),
    "LDN-01": (12, "Europe/London"),
    "NYC-01": (21, "America/New_York"),
    "NYC-02": (21, "America/New_York"),
    "NYC-03": (21, "America/New_York"),
}
CURRENCY = {"Europe/Paris": "EUR", "Europe/London": "GBP", "America/New_York": "USD"}
RETURN_KEY_POS = "ReturnTxnID"
SEGMENTS = {"44": "loyalty-gold", "55": "newsletter", "3": "family", "7": "students"}
ORDER_COLUMNS = {
    "TransactionID": "id",
    "ChannelKey": "channel",
    "CustomerNo": "userId",
    "TxnTimestamp": "dateTime",
    "TenderType": "paymentMethod",
    "EmailSHA256": "emailHash",
    "CardToken": "ccHash",
    "RegionCode": "regionId",
    "StoreNo": "storeId",
    "LoyaltySegments": "segmentIds",
    "SegmentLabels": "segmentNames",
    "CurrencyCode": "currency",
    "PromoCode": "couponCode",
    "PromoAmount": "couponValue",
    "ArticleNo": "productId",
    "SKU": "skuId",
    "Qty": "quantity",
    "UnitPrice": "unitPrice",
}
RETURN_COLUMNS = {
    "ReturnTxnID": "returnId",
    "OrigTxnID": "orderId",
    **{k: v for k, v in ORDER_COLUMNS.items() if v not in ("id", "couponCode", "couponValue")},
    "RefundTotal": "returnValue",
    "RefundType": "creditType",
}


def make_catalog(rng: np.random.Generator) -> pd.DataFrame:
    """500 products with a name and a list price."""
    ids = [f"A{100000 + i}" for i in range(500)]
    price = np.round(rng.lognormal(3.0, 0.8, len(ids)), 2)
    return pd.DataFrame({"productId": ids, "name": [f"Article {i}" for i in ids], "price": price})


def _segments(rng: np.random.Generator) -> tuple[str, str]:
    picked = [s for s in SEGMENTS if rng.random() < 0.35]
    return "|".join(picked), "|".join(SEGMENTS[s] for s in picked)


def _order_header(rng: np.random.Generator, n: int, start: pd.Timestamp) -> dict[str, object]:
    store = list(STORES)[int(rng.integers(len(STORES)))]
    region, zone = STORES[store]
    customer = int(rng.integers(100000, 100900))
    when = (start + pd.Timedelta(seconds=int(rng.integers(0, 7 * 86400)))).tz_convert(zone)
    segment_ids, segment_names = _segments(rng)
    coupon = rng.random() < 0.15
    return {
        "TransactionID": f"{store[:3]}{when:%y%m%d}{n:05d}",
        "ChannelKey": "6a700f55b7059e38",
        "CustomerNo": str(customer),
        "TxnTimestamp": when.isoformat(),
        "TenderType": rng.choice(["cash", "credit", "debit", "digital", "other"]),
        "EmailSHA256": hash_email(f"shopper{customer}@example.com") if customer % 5 else "",
        "CardToken": f"tok_{rng.integers(16**11, 16**12):012x}" if rng.random() < 0.6 else "",
        "RegionCode": region,
        "StoreNo": store,
        "LoyaltySegments": segment_ids,
        "SegmentLabels": segment_names,
        "CurrencyCode": CURRENCY[zone],
        "PromoCode": "WEEK10" if coupon else "",
        "PromoAmount": round(float(rng.uniform(2, 15)), 2) if coupon else np.nan,
    }


def _lines(rng: np.random.Generator, catalog: pd.DataFrame) -> list[dict[str, object]]:
    lines = []
    for row in catalog.sample(int(rng.integers(1, 5)), random_state=rng).itertuples():
        unknown = rng.random() < 0.01  # a product the catalog (and the API) does not know
        lines.append(
            {
                "ArticleNo": f"Z{int(rng.integers(900000, 999999))}" if unknown else row.productId,
                "SKU": f"{row.productId}-{rng.choice(['S', 'M', 'L'])}",
                "Qty": int(rng.integers(1, 4)),
                "UnitPrice": row.price,
            }
        )
    return lines


def make_orders(rng: np.random.Generator, catalog: pd.DataFrame) -> pd.DataFrame:
    """N_ORDERS clean orders, one row per line item, rows of an order adjacent."""
    start = pd.Timestamp("2026-11-16T06:00:00Z")
    rows = []
    for n in range(N_ORDERS):
        head = _order_header(rng, n, start)
        rows += [{**head, "LineNo": i + 1, **line} for i, line in enumerate(_lines(rng, catalog))]
    return pd.DataFrame(rows)


def make_returns(rng: np.random.Generator, orders: pd.DataFrame) -> pd.DataFrame:
    """Returns for about 12% of the orders, a few days later, of some of their lines."""
    rows = []
    chosen = [oid for oid in orders["TransactionID"].unique() if rng.random() < 0.12]
    for n, order_id in enumerate(chosen):
        lines = orders[orders["TransactionID"] == order_id]
        kept = lines.sample(int(rng.integers(1, len(lines) + 1)), random_state=rng).sort_values(
            "LineNo"
        )
        when = pd.Timestamp(str(kept["TxnTimestamp"].iloc[0])) + pd.Timedelta(
            days=int(rng.integers(1, 6))
        )
        kind = rng.choice(["cash back", "store credit", "chargeback"])
        qty = [int(rng.integers(1, q + 1)) for q in kept["Qty"]]
        total = round(float(np.dot(qty, kept["UnitPrice"])), 2)
        for (_, line), q in zip(kept.iterrows(), qty, strict=True):
            row = {
                RETURN_KEY_POS: f"R{700000 + n}",
                "OrigTxnID": order_id,
                "TxnTimestamp": when.isoformat(),
            }
            row |= {
                c: line[c]
                for c in [*RETURN_COLUMNS, "LineNo"]
                if c in line.index and c != "TxnTimestamp"
            }
            rows.append(row | {"Qty": q, "RefundTotal": total, "RefundType": kind})
    return pd.DataFrame(rows)[[*RETURN_COLUMNS, "LineNo"]]


def _spoil(df: pd.DataFrame, key: str, nth: int, column: str, value: object, what: str) -> str:
    """Break every row of the nth record (so the fault is one clear problem per row)."""
    record = df[key].unique()[nth]
    rows = df.index[df[key] == record]
    df.loc[rows, column] = value(df.loc[rows, column]) if callable(value) else value
    return f"{key} {record} (rows {rows[0]}-{rows[-1]}): {what}"


def _naive(stamps: pd.Series) -> pd.Series:
    return stamps.str.slice(0, 19)


def spoil(orders: pd.DataFrame, returns: pd.DataFrame) -> list[str]:
    """Plant the deliberate faults the demo's validation report shows; describe each."""
    faults = []
    for df, key, base in ((orders, "TransactionID", 40), (returns, RETURN_KEY_POS, 5)):
        faults.append(_spoil(df, key, base, "CustomerNo", "", "missing userId"))
        faults.append(
            _spoil(df, key, base * 3, "TxnTimestamp", _naive, "timestamp without UTC offset")
        )
        faults.append(
            _spoil(
                df, key, base * 5, "EmailSHA256", "jane.doe@example.com", "raw e-mail in emailHash"
            )
        )
        faults.append(_spoil(df, key, base * 7, "CurrencyCode", "EURO", "malformed currency"))
        line = df.index[df[key] == df[key].unique()[base * 9]][0]
        df.loc[line, "Qty"] = 0
        faults.append(f"{key} {df.loc[line, key]} (row {line}): zero quantity")
    faults.append(
        _spoil(
            orders, "TransactionID", 400, "CardToken", "4111111111111111", "card number in ccHash"
        )
    )
    return faults


def main(out: Path = HERE) -> None:
    """Write every file of the sample data set into ``out`` (this folder by default)."""
    rng = np.random.default_rng(SEED)
    catalog = make_catalog(rng)
    orders = make_orders(rng, catalog)
    returns = make_returns(rng, orders)
    faults = spoil(orders, returns)
    catalog.to_csv(out / "catalog.csv", index=False)
    orders.to_csv(out / "orders.csv", index=False)
    returns.to_csv(out / "returns.csv", index=False)
    for name, mapping in (("orders", ORDER_COLUMNS), ("returns", RETURN_COLUMNS)):
        (out / f"{name}_columns.json").write_text(json.dumps(mapping, indent=2) + "\n")
    unknown = (~orders["ArticleNo"].isin(catalog["productId"])).sum()
    print(
        f"{len(orders)} order rows ({orders['TransactionID'].nunique()} orders), "
        f"{len(returns)} return rows ({returns[RETURN_KEY_POS].nunique()} returns), "
        f"{unknown} order lines with products not in the catalog"
    )
    print("deliberate faults:\n  " + "\n  ".join(faults))


if __name__ == "__main__":
    main()
