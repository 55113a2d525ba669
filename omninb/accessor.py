"""``df.omni``: a thin façade over the steps; no logic and no state of its own.

pandas caches one accessor instance per DataFrame, so nothing is cached here:
every call reads the frame as it is now. ``validate`` and ``payloads`` have no
side effects; ``push`` does I/O only through the client it is handed.
The step modules are imported on first use so that ``import omninb`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from omninb.fields import KINDS

if TYPE_CHECKING:
    from omninb.client import Client
    from omninb.result import PushResult
    from omninb.schemas import ValidationReport
    from omninb.status import StatusReport

__all__ = ["OmniAccessor"]


@pd.api.extensions.register_dataframe_accessor("omni")
class OmniAccessor:
    """Validate, build payloads for, push and reconcile a long POS DataFrame.

    Example:
        >>> import omninb, pandas as pd
        >>> hasattr(pd.DataFrame(), "omni")
        True
    """

    def __init__(self, df: pd.DataFrame) -> None:
        self._df = df

    def _kind(self, kind: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"kind must be 'orders' or 'returns', not {kind!r}")
        return kind

    def validate(self, kind: str = "orders") -> ValidationReport:
        """Check every row against the API's rules; see ``omninb.schemas.validate``.

        Example:
            >>> report = df.omni.validate(kind="orders")  # doctest: +SKIP
            >>> report.ok, len(report.errors)              # doctest: +SKIP

        Raises:
            ValueError: kind is not 'orders' or 'returns'.
        """
        from omninb import schemas as _schemas

        return _schemas.validate(self._df, self._kind(kind))

    def payloads(self, kind: str = "orders", method: str = "batch") -> list[dict[str, Any]]:
        """The API bodies, one dict per order; see ``omninb.payloads.build``.

        Example:
            >>> bodies = df.omni.payloads(kind="orders")  # doctest: +SKIP

        Raises:
            omninb.ValidationError: any row is invalid (the report is attached).
        """
        from omninb import payloads as _payloads

        return _payloads.build(self._df, self._kind(kind), method=method)

    def push(self, client: Client, kind: str = "orders", **options: Any) -> PushResult:
        """Send the frame through ``client``; see ``omninb.push.push`` for options.

        Example:
            >>> result = df.omni.push(client, kind="orders", journal="import.sqlite")  # doctest: +SKIP

        Raises:
            omninb.ValidationError: invalid rows and on_invalid="raise" (nothing sent).
            omninb.JournalError: the journal belongs to another input or API key.
        """
        from omninb import push as _push

        return _push.push(self._df, client, kind=self._kind(kind), **options)

    def reconcile(self, result: PushResult, status: StatusReport | None = None) -> pd.DataFrame:
        """One row per source order with its outcome; see ``omninb.reconcile.reconcile``.

        Example:
            >>> outcomes = df.omni.reconcile(result, status)  # doctest: +SKIP

        Raises:
            ValueError: result was pushed from a different kind of frame.
        """
        from omninb import reconcile as _reconcile

        return _reconcile.reconcile(self._df, result, status)
