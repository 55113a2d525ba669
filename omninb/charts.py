"""Matplotlib charts of a push: failure reasons, outcomes by store or day, throughput.

Each function takes an optional ``ax`` (draw into your own figure) and returns
the Axes it drew on. matplotlib is imported inside the functions, so
``import omninb`` stays light; on a machine without a display (a server, CI)
the Agg backend is chosen so nothing tries to open a window.
"""

from __future__ import annotations

import os
import sys
import textwrap
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["OUTCOME_COLORS", "failure_reasons", "outcomes", "throughput"]

# Fixed colours so an outcome looks the same in every chart and in the dashboard.
OUTCOME_COLORS = {
    "accepted": "#2e7d32",
    "rejected": "#c62828",
    "invalid": "#ef6c00",
    "not sent": "#757575",
    "uncertain": "#6a1b9a",
}
_FAILED = ("rejected", "invalid", "not sent", "uncertain")
_REJECTING = ("WARNING", "ERROR", "FATAL")


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib

    headless = sys.platform.startswith("linux") and not os.environ.get("DISPLAY")
    if headless and not os.environ.get("MPLBACKEND") and "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, new_ax = plt.subplots(figsize=size, layout="constrained")
    return new_ax


def _failures(frame: pd.DataFrame) -> pd.DataFrame:
    if "outcome" in frame:  # a reconcile() frame: one row per failed order
        picked = frame[frame["outcome"].astype(str).isin(_FAILED)]
    else:  # a StatusReport.events frame: one row per rejecting event
        picked = frame[frame["level"].astype("string").str.upper().isin(_REJECTING)]
    reasons = picked["reason"].astype("string").fillna("").replace("", "(no reason given)")
    return picked.assign(reason=reasons)


def _reason_counts(failures: pd.DataFrame, top: int) -> pd.Series:
    counts = failures["reason"].value_counts()
    if len(counts) > top:
        rest = counts.iloc[top - 1 :]
        counts = pd.concat(
            [counts.iloc[: top - 1], pd.Series({f"{len(rest)} other reasons": rest.sum()})]
        )
    return counts


def _reason_colors(failures: pd.DataFrame, reasons: pd.Index) -> list[str]:
    """Each bar in the colour of its orders' outcome (events are all rejections)."""
    if "outcome" not in failures:
        return [OUTCOME_COLORS["rejected"]] * len(reasons)
    first = failures.drop_duplicates("reason").set_index("reason")["outcome"].astype(str)
    return [OUTCOME_COLORS.get(first.get(r, "rejected"), "#555") for r in reasons]


def failure_reasons(frame: pd.DataFrame, ax: Axes | None = None, top: int = 12) -> Axes:
    """Horizontal bars: how often each failure reason occurs, the most frequent on top.

    ``frame`` is ``StatusReport.events`` (counts rejecting events) or a
    ``reconcile`` frame (counts orders that did not land, invalid ones included).
    Beyond ``top`` reasons the rest are summed into one bar.

    Example:
        >>> ax = failure_reasons(status.events)  # doctest: +SKIP
        >>> ax.figure.savefig("reasons.png")  # doctest: +SKIP

    Raises:
        KeyError: ``frame`` has neither ``outcome`` nor ``level``, or has no ``reason``.
    """
    failures = _failures(frame)
    counts = _reason_counts(failures, max(top, 2))
    ax = _axes(ax, (9, 1.6 + 0.45 * max(len(counts), 1)))
    unit = "orders" if "outcome" in frame else "events"
    ax.set_title("Failure reasons")
    ax.set_xlabel(f"number of {unit}")
    if counts.empty:
        ax.text(0.5, 0.5, "No failures", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
        return ax
    labels = [textwrap.fill(str(r), 50) for r in counts.index]
    bars = ax.barh(labels, counts.to_numpy(), color=_reason_colors(failures, counts.index))
    ax.invert_yaxis()  # most frequent first, read top-down
    ax.bar_label(bars, padding=3)
    ax.margins(x=0.12)
    return ax


def _day(values: pd.Series) -> pd.Series:
    """The local calendar day of each order (its own offset, not UTC)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
        return values.dt.strftime("%Y-%m-%d")
    return values.map(lambda v: pd.Timestamp(v).strftime("%Y-%m-%d") if pd.notna(v) else "unknown")


def _pivot(frame: pd.DataFrame, by: str, measure: str, top: int) -> pd.DataFrame:
    keys = _day(frame["dateTime"]) if by == "day" else frame[by].astype("string").fillna("unknown")
    values = frame["value"] if measure == "value" else pd.Series(1, index=frame.index)
    table = values.groupby([keys, frame["outcome"].astype(str)]).sum().unstack(fill_value=0)
    table = table.reindex(columns=[o for o in OUTCOME_COLORS if o in table.columns])
    if by == "day":
        return table.sort_index()
    table = table.loc[table.sum(axis=1).sort_values(ascending=False).index]
    if len(table) > top:
        rest = table.iloc[top - 1 :].sum().rename(f"{len(table) - top + 1} other stores")
        table = pd.concat([table.iloc[: top - 1], rest.to_frame().T])
    return table


def outcomes(
    frame: pd.DataFrame,
    by: str = "storeId",
    ax: Axes | None = None,
    measure: str = "count",
    top: int = 20,
) -> Axes:
    """Stacked bars of order outcomes per store (``by="storeId"``) or per day (``by="day"``).

    ``measure="value"`` stacks order value (quantity × unitPrice) instead of
    order counts: what did not land, and what it was worth. Stores are sorted
    by total, the ``top`` largest shown and the rest summed; days in order.

    Example:
        >>> ax = outcomes(df.omni.reconcile(result, status), by="day")  # doctest: +SKIP

    Raises:
        ValueError: ``by`` is not "storeId" or "day", or ``measure`` not "count" or "value".
    """
    if by not in ("storeId", "day") or measure not in ("count", "value"):
        raise ValueError(
            f"outcomes() takes by='storeId'|'day' and measure='count'|'value', not {by!r}, {measure!r}"
        )
    table = _pivot(frame, by, measure, max(top, 2))
    ax = _axes(ax, (max(6.0, 0.5 * len(table) + 3), 4.5))
    _stack(ax, table)
    _label_outcomes(ax, "store" if by == "storeId" else "day", measure, len(table))
    if table.empty:
        ax.text(0.5, 0.5, "No orders", ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
    return ax


def _stack(ax: Axes, table: pd.DataFrame) -> None:
    bottom = np.zeros(len(table))
    for outcome in table.columns:
        heights = table[outcome].to_numpy(dtype=float)
        labels = table.index.astype(str)
        ax.bar(labels, heights, bottom=bottom, label=outcome, color=OUTCOME_COLORS[outcome])
        bottom += heights
    ax.set_ylim(0, max(bottom.max(initial=0) * 1.08, 1))  # headroom: the tallest bar is not cut
    if len(table.columns):
        ax.legend(title="outcome", loc="upper left", bbox_to_anchor=(1.01, 1.0))


def _label_outcomes(ax: Axes, where: str, measure: str, n_bars: int) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.set_title(f"Order outcomes by {where}")
    ax.set_xlabel(where)
    ax.set_ylabel("orders" if measure == "count" else "order value (quantity × unitPrice)")
    if n_bars > 5:  # long labels would overlap: slant them, anchored at the tick
        ax.tick_params(axis="x", labelrotation=40)
        for label in ax.get_xticklabels():
            label.set(ha="right", rotation_mode="anchor")
    ax.yaxis.set_major_locator(MaxNLocator(integer=measure == "count"))
    ax.yaxis.set_major_formatter("{x:,.0f}" if measure == "count" else "{x:,.2f}")


def _window(duration: float) -> float:
    # Batches leave about once a second: a window of a few seconds sees several of
    # them, so the line shows the sustained rate rather than 0/200 spikes.
    return float(min(max(2.0, duration / 30), 30.0))


def _trailing_rate(requests: pd.DataFrame, points: int = 1000) -> tuple[pd.Series, float]:
    """Orders per second over the trailing window (t - w, t] at each request's departure.

    ``sent_at`` is when a request left (after the throttle let it go), which is
    when the server counts its orders against its sliding 1-second cap. Early
    in the push the window is the time elapsed so far (at least 1 s).
    """
    sent = requests.dropna(subset=["sent_at"]).sort_values("sent_at")
    seconds = (sent["sent_at"] - sent["sent_at"].min()).dt.total_seconds().to_numpy()
    cumulative = np.cumsum(pd.to_numeric(sent["orders"], errors="coerce").fillna(0).to_numpy())
    window = _window(float(seconds.max()))
    span = np.clip(seconds, 1.0, window)
    first = np.searchsorted(seconds, seconds - span, side="right")
    before = np.where(first > 0, cumulative[np.maximum(first - 1, 0)], 0)
    keep = np.unique(np.linspace(0, len(seconds) - 1, min(points, len(seconds))).astype(int))
    return pd.Series(((cumulative - before) / span)[keep], index=seconds[keep]), window


def throughput(requests: pd.DataFrame, rate: float | None = 100, ax: Axes | None = None) -> Axes:
    """Orders sent per second over the push, against the API's rate cap.

    ``requests`` is ``PushResult.requests`` (``sent_at``, ``orders``); the line is
    the rate over a trailing window (2 s, wider for long pushes) at each request's
    departure, which is what the server's sliding-window limit measures.

    Example:
        >>> ax = throughput(result.requests, rate=100)  # doctest: +SKIP

    Raises:
        KeyError: ``requests`` lacks ``sent_at`` or ``orders``.
    """
    ax = _axes(ax, (9, 4))
    ax.set_title("Push throughput")
    ax.set_ylabel("orders per second")
    ax.set_xlabel("seconds since the first request")
    if requests["sent_at"].notna().any():
        per_second, window = _trailing_rate(requests)
        label = f"orders sent (trailing {window:g} s)"
        # drawn over the cap line: a push at the cap would otherwise vanish under it
        ax.step(per_second.index, per_second.to_numpy(), where="post", label=label, lw=2, zorder=3)
    if rate is not None:
        ax.axhline(
            rate,
            color=OUTCOME_COLORS["rejected"],
            linestyle="--",
            label=f"rate cap ({rate:g} orders/s)",
        )
    ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1], (rate or 0) * 1.15))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right")
    return ax
