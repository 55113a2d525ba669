"""Reconciliation: one row per source order, saying whether it landed, why not, and its worth.

``reconcile(df, result, status)`` joins three accounts of a push: the source
frame (what the POS exported), the ``PushResult`` (what was sent and how the API
answered) and the ``StatusReport`` (what the status service says about every
job). Each order gets exactly one outcome, decided in this order:

- ``invalid``: it broke the API's rules locally and was never sent;
- ``not sent``: the push did not deliver it (``state`` unsent or failed);
- ``rejected``: a WARNING/ERROR event of its job names it, or its job FAILED;
- ``uncertain``: its answer was lost, its job has no final status yet, or, with
  no status report, its request reported failures without saying which;
- ``accepted``: everything else that was sent.

``failed_orders`` and ``export_failed`` give the failed orders back in the POS
export's own column names, so they can be fixed and pushed again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from omninb.fields import record_key
from omninb.pos import load_mapping
from omninb.reasons import normalise_reason

if TYPE_CHECKING:
    from omninb.result import PushResult
    from omninb.status import StatusReport

__all__ = [
    "FAILED_OUTCOMES",
    "OUTCOMES",
    "OUTCOME_COLUMNS",
    "REJECTING_LEVELS",
    "export_failed",
    "failed_orders",
    "reconcile",
    "to_pos_columns",
]

OUTCOMES = ("accepted", "rejected", "invalid", "not sent", "uncertain")
# What an analyst fixes and pushes again; "uncertain" orders may already be stored.
FAILED_OUTCOMES = ("rejected", "invalid", "not sent")
OUTCOME_COLUMNS = ("id", "outcome", "reason", "jobId", "storeId", "dateTime", "value")
REJECTING_LEVELS = frozenset({"WARNING", "ERROR", "FATAL"})
# the "where" prefix of a validation message; the row and order are columns already
_WHERE = re.compile(r"^Rows?\b[^)]*\),\s*")


def _keys(series: pd.Series) -> pd.Series:
    """Record keys as strings the way the wire carries them (7.0 -> "7")."""
    if pd.api.types.is_float_dtype(series):
        whole = series.dropna()
        if (whole == whole.round()).all():
            series = series.astype("Int64")
    return series.astype("string")


def _number(df: pd.DataFrame, column: str) -> pd.Series:
    if column not in df:
        return pd.Series(np.nan, index=df.index)
    return pd.to_numeric(df[column], errors="coerce")


def _order_facts(df: pd.DataFrame, key: str) -> pd.DataFrame:
    if key not in df:
        raise KeyError(
            f"reconcile needs the record key column {key!r}; the frame has {list(df.columns)}"
        )
    frame = pd.DataFrame({"id": _keys(df[key]).to_numpy()})
    # a return's original orderId is how the real status service names it
    frame["orderId"] = _keys(df["orderId"]).to_numpy() if "orderId" in df else None
    for column in ("storeId", "dateTime"):
        frame[column] = df[column].to_numpy() if column in df else None
    frame["value"] = (_number(df, "quantity") * _number(df, "unitPrice")).to_numpy()
    grouped = frame.groupby("id", sort=False, dropna=False)
    facts = grouped[["orderId", "storeId", "dateTime"]].first()
    facts["value"] = grouped["value"].sum(min_count=1)
    return facts.reset_index()


def _joined(reasons: pd.Series) -> str:
    return "; ".join(dict.fromkeys(r for r in reasons if isinstance(r, str) and r))


def _event_reasons(status: StatusReport | None, kind: str) -> tuple[pd.Series, pd.Series, str]:
    """Reasons per (jobId, record) from events naming one, per jobId from the others, and
    the event column that names the record."""
    empty = pd.Series(dtype=object)
    if status is None or status.events.empty:
        return empty, empty, "orderId"
    events = status.events[
        status.events["level"].astype("string").str.upper().isin(REJECTING_LEVELS)
    ]
    # a return's event names its original orderId and, in the sandbox, its returnId too
    column = "returnId" if kind == "returns" and "returnId" in events else "orderId"
    named = events[column].notna()
    keyed = events[named].assign(key=_keys(events.loc[named, column].astype(object)))
    by_order = keyed.groupby(["jobId", "key"])["reason"].agg(_joined)
    by_job = events[~named].groupby("jobId")["reason"].agg(_joined)
    return by_order, by_job, column


def _pushed(result: PushResult) -> pd.DataFrame:
    orders = result.orders.drop_duplicates("id", keep="last")
    requests = result.requests[["request", "message", "failed"]].drop_duplicates(
        "request", keep="last"
    )
    requests = requests.rename(columns={"message": "request_message", "failed": "request_failed"})
    return orders.merge(requests, on="request", how="left")


def _invalid_reason(column: object, message: object) -> str:
    """ "Row 5 (order O5), quantity: ... got 0; correct the line" -> "quantity: ... got {}"."""
    text = _WHERE.sub("", str(message) if isinstance(message, str) else "").split("; ")[0]
    if isinstance(column, str) and column and not text.startswith(f"{column}:"):
        text = f"{column}: {text}"
    return normalise_reason(text)


def _invalid_reasons(result: PushResult) -> pd.Series:
    invalid = result.invalid.assign(id=_keys(result.invalid["id"].astype(object)))
    pairs = zip(invalid["column"], invalid["message"], strict=True)
    reasons = pd.Series([_invalid_reason(c, m) for c, m in pairs], index=invalid.index)
    return reasons.groupby(invalid["id"], dropna=False).agg(_joined)


def _table(df: pd.DataFrame, result: PushResult, status: StatusReport | None) -> pd.DataFrame:
    table = _order_facts(df, record_key(result.kind))
    table = table.merge(_pushed(result), on="id", how="left")
    jobs = status.jobs if status is not None else pd.DataFrame(columns=["jobId", "status", "final"])
    jobs = jobs[["jobId", "status", "final"]].drop_duplicates("jobId", keep="last")
    table = table.merge(jobs.astype({"jobId": "string"}), on="jobId", how="left")
    by_order, by_job, column = _event_reasons(status, result.kind)
    named = table["orderId"] if result.kind == "returns" and column == "orderId" else table["id"]
    pairs = pd.MultiIndex.from_arrays([table["jobId"], named])
    table["order_reason"] = by_order.reindex(pairs).to_numpy() if len(by_order) else None
    table["job_reason"] = by_job.reindex(table["jobId"]).to_numpy() if len(by_job) else None
    invalid = _invalid_reasons(result)
    table["invalid_reason"] = invalid.reindex(table["id"]).to_numpy() if len(invalid) else None
    return table


def _text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "").astype(str)


def _flag(series: pd.Series) -> pd.Series:
    return series.astype("boolean").fillna(False).astype(bool)


def _decide(table: pd.DataFrame, have_status: bool) -> tuple[np.ndarray, np.ndarray]:
    sent = table["state"].astype(object).eq("sent")
    failed_in_request = pd.to_numeric(table["request_failed"], errors="coerce").fillna(0) > 0
    # first match wins: an order whose answer was lost may be stored, so it is uncertain
    # even when its request finally failed; calling it "not sent" would invite a duplicate
    rules = [
        ("invalid", table["invalid_reason"].notna() | table["id"].isna(), _invalid_text(table)),
        (
            "rejected",
            sent & (table["order_reason"].notna() | _text(table["status"]).eq("FAILED")),
            _text(table["order_reason"]).mask(lambda s: s.eq(""), _job_failed_reason(table)),
        ),
        ("uncertain", _flag(table["uncertain"]), _lost_reason(table)),
        ("not sent", ~sent, _not_sent_reason(table)),
        (
            "uncertain",
            sent & ~_flag(table["final"]) if have_status else sent & failed_in_request,
            _uncertain_reason(table, have_status),
        ),
    ]
    conditions = [condition.to_numpy() for _, condition, _ in rules]
    outcome = np.select(conditions, [name for name, _, _ in rules], default="accepted")
    reason = np.select(conditions, [text.to_numpy() for _, _, text in rules], default="")
    return outcome, reason


def _invalid_text(table: pd.DataFrame) -> pd.Series:
    return _text(table["invalid_reason"]).replace("", "id: the order has no id")


def _lost_reason(table: pd.DataFrame) -> pd.Series:
    said = _text(table["request_message"]).map(normalise_reason)
    text = "the answer to its request was lost, so it may be stored; check before pushing again"
    return said.map(lambda m: f"{text} ({m})" if m else text)


def _not_sent_reason(table: pd.DataFrame) -> pd.Series:
    message = _text(table["request_message"]).map(normalise_reason)
    never = table["state"].astype(object).isna()
    fallback = np.where(
        never, "not in this push result", "not attempted: the push stopped before it"
    )
    return message.mask(message.eq(""), pd.Series(fallback, index=table.index))


def _job_failed_reason(table: pd.DataFrame) -> pd.Series:
    job = _text(table["job_reason"])
    return job.mask(job.eq(""), "its job FAILED without an event naming this order")


def _uncertain_reason(table: pd.DataFrame, have_status: bool) -> pd.Series:
    if not have_status:
        failed = table["request_failed"].astype("Int64").astype(str)
        return "its request reported " + failed + " failed; collect status to see which"
    status = _text(table["status"])
    return pd.Series(
        np.where(
            status.eq(""), "no status for its job yet", "job status " + status + " is not final"
        ),
        index=table.index,
    )


def reconcile(
    df: pd.DataFrame, result: PushResult, status: StatusReport | None = None
) -> pd.DataFrame:
    """One row per source order: ``id, outcome, reason, jobId, storeId, dateTime, value``.

    ``value`` is the sum of quantity × unitPrice over the order's line items.
    Without ``status`` the server's per-order rejections are unknown: orders of
    a request that reported failures are ``uncertain``.

    Example:
        >>> outcomes = reconcile(df, result, status)  # doctest: +SKIP
        >>> outcomes.groupby(["storeId", "outcome"])["value"].sum()  # doctest: +SKIP

    Raises:
        KeyError: ``df`` has no record key column (``id`` for orders, ``returnId`` for returns).
    """
    table = _table(df, result, status)
    outcome, reason = _decide(table, status is not None)
    out = table[["id", "jobId", "storeId", "dateTime", "value"]].copy()
    out.insert(
        1, "outcome", pd.Series(pd.Categorical(outcome, categories=OUTCOMES), index=out.index)
    )
    out.insert(2, "reason", reason)
    out.loc[out["outcome"].isin(["invalid", "not sent"]), "jobId"] = pd.NA
    return out[list(OUTCOME_COLUMNS)]


def failed_orders(
    df: pd.DataFrame,
    outcomes: pd.DataFrame,
    kind: str = "orders",
    which: Iterable[str] = FAILED_OUTCOMES,
) -> pd.DataFrame:
    """The source rows (every line item) of the orders whose outcome is in ``which``.

    Two columns are added at the end, ``outcome`` and ``reason``, so the rows
    can be fixed by reading why; ``export_failed`` drops them unless asked.

    Example:
        >>> rows = failed_orders(df, outcomes, kind="orders")  # doctest: +SKIP
        >>> rows.groupby("reason").size()  # doctest: +SKIP

    Raises:
        ValueError: ``which`` names an outcome that does not exist.
        KeyError: ``df`` has no record key column for ``kind``.
    """
    which = list(which)
    if unknown := sorted(set(which) - set(OUTCOMES)):
        raise ValueError(f"unknown outcome(s) {unknown}; choose from {list(OUTCOMES)}")
    chosen = outcomes[outcomes["outcome"].isin(which)].drop_duplicates("id")
    keys = _keys(df[record_key(kind)])
    picked = df[keys.isin(chosen["id"]).to_numpy()].copy()
    looked_up = chosen.set_index("id").reindex(keys[keys.isin(chosen["id"])])
    picked["outcome"] = looked_up["outcome"].astype(str).to_numpy()
    picked["reason"] = looked_up["reason"].to_numpy()
    return picked


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple | np.ndarray):
        return "|".join(str(v) for v in value)  # the delimited form read_pos accepts back
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def to_pos_columns(
    frame: pd.DataFrame, columns: Mapping[str, str] | str | PathLike[str] | None
) -> pd.DataFrame:
    """Rename API fields back to the POS export's columns (the inverse of read_pos's ``columns``).

    ``columns`` is the same mapping (POS column → API field, or a JSON file of
    it) that ``read_pos`` was given. List cells become ``"44|55|3"`` and
    timestamps ISO 8601 with their offset, so ``read_pos`` reads them back.

    Example:
        >>> to_pos_columns(pd.DataFrame({"id": ["7"]}), {"TransactionID": "id"}).columns.tolist()
        ['TransactionID']

    Raises:
        OSError, json.JSONDecodeError: ``columns`` names a file that cannot be read as JSON.
    """
    back = {field: pos for pos, field in load_mapping(columns).items()}
    out = frame.rename(columns=back)
    for column in out.columns:
        dtype = out[column].dtype
        if pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.DatetimeTZDtype):
            out[column] = out[column].map(_cell)
    return out


def export_failed(
    df: pd.DataFrame,
    outcomes: pd.DataFrame,
    path: str | PathLike[str],
    *,
    kind: str = "orders",
    columns: Mapping[str, str] | str | PathLike[str] | None = None,
    which: Iterable[str] = FAILED_OUTCOMES,
    with_reason: bool = False,
) -> Path:
    """Write the failed orders as CSV in the POS export's own columns, ready to fix and re-push.

    Example:
        >>> export_failed(df, outcomes, "failed.csv", columns="data/orders_columns.json")  # doctest: +SKIP
        PosixPath('failed.csv')

    Raises:
        OSError: the file cannot be written (the message names the path).
        ValueError: ``which`` names an outcome that does not exist.
    """
    rows = failed_orders(df, outcomes, kind=kind, which=which)
    if not with_reason:
        rows = rows.drop(columns=["outcome", "reason"])
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    to_pos_columns(rows, columns).to_csv(target, index=False)
    return target
