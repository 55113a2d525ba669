"""The analyst's dashboard: counters, the outcome chart, a reason filter, refresh and save.

``dashboard(result, status, client=None, df=None)`` returns an ipywidgets
``VBox`` made of standard widgets only, so it renders in JupyterLab, classic
Notebook and Voila alike. Its controls are attributes of the box
(``reason_filter``, ``refresh_button``, ``save_button``, ...), so a test or a
script can drive it from Python exactly as a user would by clicking.
ipywidgets and matplotlib are imported here only when a dashboard is built.
"""

from __future__ import annotations

import html
import io
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from omninb import charts
from omninb.errors import OmniError
from omninb.fields import record_key
from omninb.reconcile import FAILED_OUTCOMES, OUTCOMES, export_failed, reconcile
from omninb.status import collect_status

if TYPE_CHECKING:
    from omninb.client import Client
    from omninb.result import PushResult
    from omninb.status import StatusReport

__all__ = ["ALL_REASONS", "Dashboard", "dashboard"]

ALL_REASONS = ""  # the reason filter's value meaning "every reason"
_TABLE_ROWS = 200  # an HTML table beyond this is slow to render and nobody scrolls it


def _source(df: pd.DataFrame | None, result: PushResult) -> pd.DataFrame:
    """The frame to reconcile: the caller's, or just the ids the push result knows."""
    if df is not None:
        return df
    ids = pd.concat([result.orders["id"], result.invalid["id"]], ignore_index=True)
    return pd.DataFrame({record_key(result.kind): ids.dropna().drop_duplicates()})


def _counter(label: str, value: str, color: str) -> str:
    return (
        f'<div style="display:inline-block;margin:0 1.2em 0.4em 0;min-width:6em">'
        f'<div style="font-size:1.6em;font-weight:bold;color:{color}">{value}</div>'
        f'<div style="color:#555">{html.escape(label)}</div></div>'
    )


class Dashboard:
    """State and widgets behind ``dashboard()``; ``.box`` is what gets displayed.

    Attributes:
        outcomes: the current reconcile frame (one row per order).
        table_frame: the orders the table shows (not accepted, narrowed by the filter).
        saved_path: where the last click on the save button wrote, or None.
    """

    def __init__(
        self,
        result: PushResult,
        status: StatusReport | None,
        client: Client | None = None,
        df: pd.DataFrame | None = None,
        columns: Any = None,
        path: str = "failed_orders.csv",
    ) -> None:
        import ipywidgets as w

        self.result, self.status, self.client = result, status, client
        self.df, self.columns, self._has_source = _source(df, result), columns, df is not None
        self.saved_path: Path | None = None
        self.counters = w.HTML()
        self.chart_by = w.ToggleButtons(options=[("by store", "storeId"), ("by day", "day")])
        self.chart = w.Image(format="png", layout=w.Layout(max_width="900px"))
        self.reason_filter = w.Dropdown(description="Reason", layout=w.Layout(width="60em"))
        self.table = w.HTML()
        self.refresh_button = w.Button(description="Refresh status", icon="refresh")
        self.save_button = w.Button(description="Save failed orders", icon="download")
        self.path = w.Text(value=path, description="CSV file")
        self.message = w.HTML()
        self._wire(w)
        self.box = w.VBox(
            [
                self.counters,
                self.chart_by,
                self.chart,
                w.HBox([self.refresh_button, self.save_button, self.path]),
                self.message,
                self.reason_filter,
                self.table,
            ]
        )
        self.update(status)

    def _wire(self, w: Any) -> None:
        if self.client is None:
            self.refresh_button.disabled = True
            self.refresh_button.tooltip = "pass client=... to dashboard() to refresh the status"
        self.refresh_button.on_click(lambda _: self.refresh())
        self.save_button.on_click(lambda _: self.save())
        self.reason_filter.observe(lambda _: self._show_table(), names="value")
        self.chart_by.observe(lambda _: self._draw_chart(), names="value")

    # --- state -------------------------------------------------------------------------

    def update(self, status: StatusReport | None) -> None:
        """Reconcile again with ``status`` and redraw every part.

        Example:
            >>> board.update(omninb.collect_status(client, result))  # doctest: +SKIP

        Raises:
            KeyError: the source frame lacks its record key column.
        """
        self.status = status
        self.outcomes = reconcile(self.df, self.result, status)
        self._show_counters()
        self._draw_chart()
        self._fill_reasons()
        self._show_table()

    @property
    def counts(self) -> dict[str, int]:
        """Orders per outcome (every outcome present, zeros included)."""
        counts = self.outcomes["outcome"].value_counts()
        return {o: int(counts.get(o, 0)) for o in OUTCOMES}

    def refresh(self) -> None:
        """Ask the status service once more about every job, then redraw (the refresh button).

        Example:
            >>> board.refresh_button.click()  # doctest: +SKIP

        Raises:
            Nothing: a failure is shown in the dashboard's message line instead,
            because an exception in a button callback would vanish into the log.
        """
        if self.client is None:
            self._say(
                "No client: pass client=... to dashboard() to refresh the status.", error=True
            )
            return
        self.refresh_button.disabled = True
        try:
            newer = collect_status(self.client, self.result, wait=False)
        except OmniError as exc:
            self._say(f"Refresh failed: {exc}", error=True)
            return
        finally:
            self.refresh_button.disabled = False
        self.update(newer if self.status is None else self.status.merged(newer))
        self._say_refreshed(newer)

    def _say_refreshed(self, newer: StatusReport) -> None:
        done = datetime.now().strftime("%H:%M:%S")
        if newer.errors.empty:
            self._say(f"Status refreshed at {done}: {self.status!r}")
            return
        first = newer.errors.iloc[0]
        self._say(
            f"Refresh failed at {done} for {len(newer.errors)} of {len(newer.jobs)} job(s); "
            f"their last known status is kept. First error (job {first['jobId']}): "
            f"{first['error']}",
            error=True,
        )

    def save(self) -> Path | None:
        """Write the failed orders under the current reason filter to CSV (the save button).

        With the source frame, rows keep the POS export's own columns (via
        ``columns``) so they can be fixed and pushed again; without it, the
        outcome rows are written. Uncertain orders are never written: they may
        already be stored, and pushing them again could count them twice.

        Example:
            >>> board.save_button.click()  # doctest: +SKIP

        Raises:
            Nothing: a failure is shown in the dashboard's message line.
        """
        chosen = self.table_frame[self.table_frame["outcome"].isin(FAILED_OUTCOMES)]
        try:
            self.saved_path = self._write(chosen)
        except (OSError, ValueError) as exc:
            self._say(
                f"Could not save to {self.path.value!r}: {exc}. Choose another file.", error=True
            )
            return None
        skipped = int((self.table_frame["outcome"] == "uncertain").sum())
        note = (
            f" ({skipped} uncertain order(s) left out: they may already be stored)"
            if skipped
            else ""
        )
        self._say(f"Saved {len(chosen)} failed order(s) to {self.saved_path.resolve()}{note}.")
        return self.saved_path

    def _write(self, chosen: pd.DataFrame) -> Path:
        target = Path(self.path.value).expanduser()
        if self._has_source:
            return export_failed(
                self.df,
                chosen,
                target,
                kind=self.result.kind,
                columns=self.columns,
                with_reason=True,
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        chosen.to_csv(target, index=False)
        return target

    # --- views -------------------------------------------------------------------------

    def _say(self, text: str, error: bool = False) -> None:
        color = charts.OUTCOME_COLORS["rejected"] if error else "#333"
        self.message.value = f'<span style="color:{color}">{html.escape(text)}</span>'

    def _show_counters(self) -> None:
        counts = self.counts
        failed = self.outcomes[self.outcomes["outcome"] != "accepted"]["value"].sum(min_count=1)
        parts = [_counter("orders", f"{len(self.outcomes):,}", "#333")]
        parts += [_counter(o, f"{n:,}", charts.OUTCOME_COLORS[o]) for o, n in counts.items()]
        worth = "—" if pd.isna(failed) else f"{failed:,.2f}"
        parts.append(_counter("value not accepted", worth, "#333"))
        self.counters.value = "".join(parts)

    def _draw_chart(self) -> None:
        from matplotlib.figure import Figure

        # a bare Figure, not pyplot: nothing is left open or shown twice by the inline backend
        figure = Figure(figsize=(9, 4), layout="constrained")
        charts.outcomes(self.outcomes, by=self.chart_by.value, ax=figure.subplots())
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=90)
        self.chart.value = buffer.getvalue()

    def _fill_reasons(self) -> None:
        affected = self.outcomes[self.outcomes["outcome"] != "accepted"]
        counts = affected["reason"].replace("", "(no reason given)").value_counts()
        options = [(f"All reasons ({len(affected)})", ALL_REASONS)]
        options += [(f"{reason} ({n})", str(reason)) for reason, n in counts.items()]
        keep = self.reason_filter.value
        self.reason_filter.options = options
        values = [value for _, value in options]
        self.reason_filter.value = keep if keep in values else ALL_REASONS

    def _show_table(self) -> None:
        affected = self.outcomes[self.outcomes["outcome"] != "accepted"]
        reason = self.reason_filter.value
        if reason:
            shown = affected["reason"].replace("", "(no reason given)") == reason
            affected = affected[shown]
        self.table_frame = affected
        if affected.empty:
            self.table.value = "<p>No affected orders: every order was accepted.</p>"
            return
        head = f"<p>{len(affected):,} affected order(s)"
        head += f", first {_TABLE_ROWS} shown" if len(affected) > _TABLE_ROWS else ""
        self.table.value = head + "</p>" + affected.head(_TABLE_ROWS).to_html(index=False)


def dashboard(
    result: PushResult,
    status: StatusReport | None = None,
    client: Client | None = None,
    df: pd.DataFrame | None = None,
    *,
    columns: Any = None,
    path: str = "failed_orders.csv",
) -> Any:
    """An ipywidgets view of a push: counters, outcome chart, reason filter, refresh, save.

    Pass ``client`` to enable the refresh button, and ``df`` (the source frame,
    with the ``columns`` mapping ``read_pos`` was given) for store/day/value
    and for saving failed orders in the POS export's own columns.

    Example:
        >>> box = omninb.dashboard(result, status, client=client, df=df)  # doctest: +SKIP
        >>> box.reason_filter.value = "No product is found for product ID {}"  # doctest: +SKIP
        >>> box.save_button.click()  # doctest: +SKIP

    Raises:
        ImportError: ipywidgets or matplotlib is not installed.
        KeyError: ``df`` lacks its record key column.
    """
    board = Dashboard(result, status, client=client, df=df, columns=columns, path=path)
    box = board.box
    # the controls ride on the widget itself, so callers keep one object
    box.dashboard = board
    for name in (
        "counters",
        "chart_by",
        "chart",
        "reason_filter",
        "table",
        "refresh_button",
        "save_button",
        "path",
        "message",
    ):
        setattr(box, name, getattr(board, name))
    return box
