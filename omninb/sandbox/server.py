"""``Sandbox``: the emulator running on its own event loop in a daemon thread.

Start-up binds the socket first, so ``.url`` is final the moment the
constructor returns, and ``port=0`` picks a free port without races.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aiohttp import web

from omninb.sandbox.app import make_app
from omninb.sandbox.config import Knobs, load_catalog, to_credentials
from omninb.sandbox.gateway import Gateway
from omninb.sandbox.store import LEDGER_COLUMNS
from omninb.sandbox.tokens import Issued

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Sandbox"]

_START_TIMEOUT = 10.0


class Sandbox:
    """A faithful local emulator of the Omnichannel gateway (DESIGN section 4).

    Example:
        >>> with Sandbox(catalog=["4556"], rate_limit=None) as sb:
        ...     sb.url.startswith("http://127.0.0.1:")
        True

    Raises:
        ConfigError: a knob is out of range, the credentials are malformed or the
            catalog file cannot be read.
        OSError: the port is taken.
    """

    def __init__(
        self,
        catalog: str | Path | Iterable[object] | None = None,
        rate_limit: int | None = 100,
        token_ttl: float = 28_800,
        latency: float = 0.0,
        jitter: float = 0.0,
        error_rate: float = 0.0,
        drop_before_rate: float = 0.0,
        drop_after_rate: float = 0.0,
        seed: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        status_delay: float = 0.0,
        credentials: Iterable[Sequence[object]] | None = None,
    ) -> None:
        knobs = Knobs(
            rate_limit,
            token_ttl,
            latency,
            jitter,
            error_rate,
            drop_before_rate,
            drop_after_rate,
            seed,
            status_delay,
        )
        self._gateway = Gateway(knobs, to_credentials(credentials), load_catalog(catalog))
        self._runner = _ServerThread(make_app(self._gateway), host, port)
        self.url = self._runner.url

    @property
    def knobs(self) -> Knobs:
        """The limits and fault knobs this sandbox runs with.

        Example:
            >>> with Sandbox(rate_limit=None, seed=4) as sb:
            ...     sb.knobs.rate_limit, sb.knobs.seed
            (None, 4)

        Raises:
            Nothing.
        """
        return self._gateway.knobs

    @property
    def credentials(self) -> dict[str, str]:
        """The client_id, client_secret and api_key it accepts (the first configured set).

        Example:
            >>> with Sandbox(credentials=[("cid", "sec", ["12345"])]) as sb:
            ...     sb.credentials["api_key"]
            '12345'

        Raises:
            Nothing.
        """
        first = self._gateway.credentials[0]
        return {
            "client_id": first.client_id,
            "client_secret": first.client_secret,
            "api_key": first.api_keys[0],
        }

    def client(self, api_key: str | None = None, **options: Any) -> Any:
        """An ``omninb.Client`` pointed at this sandbox with its credentials.

        Example:
            >>> with Sandbox() as sb:  # doctest: +SKIP
            ...     sb.client(rate=50).send_single("orders", "u1", {...}, mode="offline")

        Raises:
            ImportError: omninb.client is not available.
        """
        from omninb.client import Client  # lazy: the server must not depend on the client

        creds = self.credentials
        return Client(
            api_key=api_key or creds["api_key"],
            client_id=creds["client_id"],
            client_secret=creds["client_secret"],
            base_url=self.url,
            **options,
        )

    def ledger(self, with_records: bool = False) -> pd.DataFrame:
        """Every stored record: apiKey, kind, mode, id, orderId, returnId, userId, jobId, stored.

        ``stored`` counts how many times the same key was stored (duplicates show as > 1);
        ``jobId`` is the last job that stored it; ``with_records=True`` adds the last
        stored JSON object as a ``record`` column.

        Example:
            >>> with Sandbox() as sb:
            ...     list(sb.ledger().columns)[:4]
            ['apiKey', 'kind', 'mode', 'id']

        Raises:
            Nothing.
        """
        import pandas as pd  # lazy: the server itself does not need pandas

        columns = [*LEDGER_COLUMNS, *(["record"] if with_records else [])]
        return pd.DataFrame(self._gateway.ledger_rows(with_records), columns=columns)

    def issued_tokens(self) -> tuple[Issued, ...]:
        """Every bearer token handed out so far, oldest first (read-only; for tests and audits).

        Example:
            >>> with Sandbox() as sb, sb.client() as client:  # doctest: +SKIP
            ...     _ = client.auth["import"].token()
            ...     [t.service for t in sb.issued_tokens()]
            ['import']

        Raises:
            Nothing.
        """
        return self._gateway.tokens.issued()

    def token_refusals(self) -> dict[str, int]:
        """How many requests were answered 401 for their token, by reason (read-only).

        Reasons: missing, unknown, other service, expired, api key.

        Example:
            >>> with Sandbox() as sb:
            ...     sb.token_refusals()
            {}

        Raises:
            Nothing.
        """
        return self._gateway.tokens.refusals()

    def close(self) -> None:
        """Stop the server and its thread; safe to call more than once.

        Example:
            >>> sb = Sandbox(); sb.close(); sb.close()

        Raises:
            Nothing.
        """
        self._runner.stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Sandbox(url={self.url!r}, {self.knobs})"


class _ServerThread:
    """An aiohttp runner on a private event loop in a daemon thread."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self._sock = socket.create_server((host, port))
        bound = self._sock.getsockname()
        self.url = f"http://{host if ':' not in host else f'[{host}]'}:{bound[1]}"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"omninb-sandbox-{bound[1]}", daemon=True
        )
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, auto_decompress=False
        )
        self._stopped = False
        self._lock = threading.Lock()
        self._thread.start()
        self._call(self._start())

    async def _start(self) -> None:
        await self._runner.setup()
        await web.SockSite(self._runner, self._sock).start()

    def _call(self, coro: Any) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(_START_TIMEOUT)

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._call(self._runner.cleanup())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_START_TIMEOUT)
        self._loop.close()
        self._sock.close()
