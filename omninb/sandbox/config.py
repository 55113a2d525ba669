"""The sandbox's settings: credentials it accepts, its product catalog and its fault knobs.

Everything here is immutable once the sandbox starts, so the server thread can
read it without locks.
"""

from __future__ import annotations

import csv
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from omninb.errors import ConfigError

__all__ = ["Credential", "Knobs", "generate_credential", "load_catalog", "to_credentials"]


@dataclass(frozen=True)
class Credential:
    """One client the sandbox accepts: its id, secret and the apiKeys it may use.

    The secret is left out of repr so a logged Credential never leaks it.

    Example:
        >>> c = Credential("cid", "s3cret", ("12345",))
        >>> "s3cret" in repr(c)
        False
    """

    client_id: str
    client_secret: str = field(repr=False)
    api_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Knobs:
    """Gateway limits and fault knobs; see DESIGN section 3 for their meaning.

    Example:
        >>> Knobs(rate_limit=None, error_rate=0.1).error_rate
        0.1

    Raises:
        ConfigError: a knob is out of range (negative time, share outside 0..1,
            shares summing above 1, rate limit below 1).
    """

    rate_limit: int | None = 100
    token_ttl: float = 28_800
    latency: float = 0.0
    jitter: float = 0.0
    error_rate: float = 0.0
    drop_before_rate: float = 0.0
    drop_after_rate: float = 0.0
    seed: int | None = None
    status_delay: float = 0.0

    def __post_init__(self) -> None:
        if self.rate_limit is not None and self.rate_limit < 1:
            raise ConfigError(f"rate_limit must be >= 1 or None (no limit), not {self.rate_limit}")
        if self.token_ttl <= 0:
            raise ConfigError(f"token_ttl must be > 0 seconds, not {self.token_ttl}")
        for name in ("latency", "jitter", "status_delay"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0 seconds, not {getattr(self, name)}")
        if self.jitter > self.latency:
            raise ConfigError(
                f"jitter ({self.jitter}) must not exceed latency ({self.latency}): "
                "the delay is drawn uniformly from latency ± jitter and cannot be negative"
            )
        self._check_shares()

    def _check_shares(self) -> None:
        shares = {
            n: getattr(self, n) for n in ("error_rate", "drop_before_rate", "drop_after_rate")
        }
        for name, value in shares.items():
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} must be between 0 and 1, not {value}")
        if sum(shares.values()) > 1.0:
            raise ConfigError(
                f"error_rate + drop_before_rate + drop_after_rate must be <= 1, not {sum(shares.values())}"
            )


def generate_credential() -> Credential:
    """A fresh random client id, secret and apiKey, shaped like the reference's examples.

    Example:
        >>> c = generate_credential()
        >>> len(c.client_id), len(c.api_keys)
        (16, 1)

    Raises:
        Nothing.
    """
    return Credential(secrets.token_hex(8), secrets.token_urlsafe(20), (secrets.token_hex(8),))


def to_credentials(spec: Iterable[Sequence[object]] | None) -> tuple[Credential, ...]:
    """Normalize ``[(client_id, client_secret, [apiKeys]), ...]``; None gives one generated set.

    Example:
        >>> to_credentials([("cid", "secret", ["12345"])])[0].api_keys
        ('12345',)

    Raises:
        ConfigError: an entry is not (client_id, client_secret, apiKeys) or a client id repeats.
    """
    if spec is None:
        return (generate_credential(),)
    creds = tuple(_one_credential(entry) for entry in spec)
    ids = [c.client_id for c in creds]
    if not creds or len(set(ids)) != len(ids):
        raise ConfigError("credentials must list at least one client, each client_id once")
    return creds


def _one_credential(entry: Sequence[object]) -> Credential:
    if isinstance(entry, Credential):
        return entry
    if len(entry) != 3 or isinstance(entry[2], str | bytes):
        raise ConfigError(
            "each credentials entry must be (client_id, client_secret, [apiKeys]); "
            f"got an entry with {len(entry)} items"
        )
    keys = entry[2]
    if not isinstance(keys, Iterable):
        raise ConfigError("the apiKeys of a credentials entry must be a list of strings")
    return Credential(str(entry[0]), str(entry[1]), tuple(str(k) for k in keys))


def load_catalog(catalog: str | Path | Iterable[object] | None) -> frozenset[str] | None:
    """Product ids the sandbox knows; None means every product is accepted.

    A CSV path is read from its ``productId`` column, or its first column if it has none.

    Example:
        >>> sorted(load_catalog([4556, "content__662"]))
        ['4556', 'content__662']
        >>> load_catalog(None) is None
        True

    Raises:
        ConfigError: the CSV file is missing or has no header row.
    """
    if catalog is None:
        return None
    if isinstance(catalog, str | Path):
        return _read_catalog_csv(Path(catalog))
    return frozenset(str(pid).strip() for pid in catalog)


def _read_catalog_csv(path: Path) -> frozenset[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            names = reader.fieldnames
            if not names:
                raise ConfigError(f"catalog {path} is empty: expected a header row with productId")
            column = "productId" if "productId" in names else names[0]
            return frozenset(row[column].strip() for row in reader if row.get(column))
    except OSError as exc:
        raise ConfigError(f"cannot read catalog {path}: {exc.strerror}. Check the path.") from exc
