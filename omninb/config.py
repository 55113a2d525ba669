"""Client settings: credentials, environment, rate, retries, pool; safe to print.

``ClientConfig`` is re-exported by ``omninb.client``; it lives here so the
client module stays about sending. The hosts are the vendor reference's.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from omninb.errors import ConfigError
from omninb.retry import RetryPolicy

__all__ = ["HOSTS", "ClientConfig"]

HOSTS: Mapping[str, str] = {
    "production": "https://gateway.richrelevance.com",
    "qa": "https://qa-gateway.richrelevance.com",
    "staging": "https://staging-gateway.richrelevance.com",
}
_ENV_VARS = ("OMNI_API_KEY", "OMNI_CLIENT_ID", "OMNI_CLIENT_SECRET")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ClientConfig:
    """Where and as whom to connect, and how hard to push; repr never shows the secret.

    Attributes:
        api_key, client_id, client_secret: the site's credentials for this environment.
        env: ``"production"``, ``"qa"`` or ``"staging"`` (the reference's hosts).
        base_url: overrides ``env`` (e.g. a sandbox); HTTPS unless loopback.
        rate: records per second for imports; None lifts the throttle.
        retry: the retry policy of every request.
        pool_size: pooled connections, enough for the concurrent senders.
        timeout: (connect, read) seconds per attempt.
    """

    api_key: str
    client_id: str
    client_secret: str = field(repr=False)
    env: str = "qa"
    base_url: str | None = None
    rate: int | None = 100
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    pool_size: int = 32
    timeout: tuple[float, float] = (5.0, 60.0)

    def __post_init__(self) -> None:
        for name in ("api_key", "client_id", "client_secret"):
            if not str(getattr(self, name) or "").strip():
                raise ConfigError(f"{name} is empty. Pass {name}=... or set OMNI_{name.upper()}.")
        if self.base_url is None and self.env not in HOSTS:
            raise ConfigError(
                f"env must be one of {', '.join(HOSTS)}, not {self.env!r}; or pass base_url=..."
            )
        if self.pool_size < 1:
            raise ConfigError(f"pool_size must be at least 1, not {self.pool_size}")
        _check_url(self.url)

    @property
    def url(self) -> str:
        """The base URL requests go to, without a trailing slash."""
        return (self.base_url or HOSTS[self.env]).rstrip("/")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> ClientConfig:
        """Read OMNI_API_KEY, OMNI_CLIENT_ID, OMNI_CLIENT_SECRET, OMNI_ENV, OMNI_BASE_URL.

        Example:
            >>> cfg = ClientConfig.from_env({"OMNI_API_KEY": "k", "OMNI_CLIENT_ID": "c",
            ...                              "OMNI_CLIENT_SECRET": "s", "OMNI_ENV": "staging"})
            >>> cfg.url
            'https://staging-gateway.richrelevance.com'

        Raises:
            ConfigError: a variable is missing (the message names it) or a value is unsafe.
        """
        env = os.environ if environ is None else environ
        missing = [name for name in _ENV_VARS if not env.get(name, "").strip()]
        if missing:
            raise ConfigError(
                f"{', '.join(missing)} not set. Export {' and '.join(missing)} "
                "(from your Algonomy consultant) or pass the credentials to Client(...)."
            )
        return cls(
            api_key=env["OMNI_API_KEY"],
            client_id=env["OMNI_CLIENT_ID"],
            client_secret=env["OMNI_CLIENT_SECRET"],
            env=env.get("OMNI_ENV", "").strip() or "qa",
            base_url=env.get("OMNI_BASE_URL", "").strip() or None,
            **options,
        )


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"base_url {url!r} is not an http(s) URL, e.g. https://qa-gateway.richrelevance.com"
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"base_url {url!r} uses plain HTTP to a remote host; credentials would travel "
            "unencrypted. Use https://, or http:// only for a loopback sandbox."
        )
