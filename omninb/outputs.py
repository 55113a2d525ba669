"""Files for people who will not open a notebook: the reconciliation CSV and the charts as PNG.

``write_outputs`` is what ``make demo`` and scheduled jobs call after a push.
"""

from __future__ import annotations

from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from omninb import charts

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from omninb.result import PushResult
    from omninb.status import StatusReport

__all__ = ["write_outputs"]


def _save_png(path: Path, draw: Callable[[Axes], Any], size: tuple[float, float]) -> Path:
    from matplotlib.figure import Figure

    # a bare Figure, not pyplot: a batch job may write thousands without leaking windows
    figure = Figure(figsize=size, layout="constrained")
    draw(figure.subplots())
    figure.savefig(path, dpi=110)
    return path


def _outcomes_drawer(outcomes: pd.DataFrame, by: str) -> Callable[[Axes], Any]:
    return lambda ax: charts.outcomes(outcomes, by=by, ax=ax)


def write_outputs(
    outcomes: pd.DataFrame,
    folder: str | PathLike[str] = "out",
    *,
    status: StatusReport | None = None,
    result: PushResult | None = None,
    rate: float | None = 100,
) -> dict[str, Path]:
    """Write ``reconciliation.csv`` and the charts as PNG into ``folder``; return their paths.

    Files: ``reconciliation.csv`` (the ``reconcile`` frame), ``failure_reasons.png``
    (from ``status.events`` when given, else from the failed orders),
    ``outcomes_by_store.png``, ``outcomes_by_day.png`` and, with ``result``,
    ``throughput.png`` against ``rate``. The folder is created if needed.

    Example:
        >>> paths = write_outputs(outcomes, "out", status=status, result=result)  # doctest: +SKIP
        >>> sorted(paths)  # doctest: +SKIP
        ['failure_reasons', 'outcomes_by_day', 'outcomes_by_store', 'reconciliation', 'throughput']

    Raises:
        OSError: the folder or a file cannot be written (the message names the path).
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    paths = {"reconciliation": target / "reconciliation.csv"}
    outcomes.to_csv(paths["reconciliation"], index=False)
    reasons = status.events if status is not None else outcomes
    n_reasons = min(reasons["reason"].nunique(), 12) if len(reasons) else 1
    paths["failure_reasons"] = _save_png(
        target / "failure_reasons.png",
        lambda ax: charts.failure_reasons(reasons, ax=ax),
        (9, 1.6 + 0.45 * max(n_reasons, 1)),
    )
    for by, name in (("storeId", "outcomes_by_store"), ("day", "outcomes_by_day")):
        paths[name] = _save_png(target / f"{name}.png", _outcomes_drawer(outcomes, by), (10, 4.5))
    if result is not None:
        paths["throughput"] = _save_png(
            target / "throughput.png",
            lambda ax: charts.throughput(result.requests, rate=rate, ax=ax),
            (9, 4),
        )
    return paths
