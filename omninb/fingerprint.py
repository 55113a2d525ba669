"""Who a journal belongs to (its fingerprint) and who holds it (the owner record).

A journal is bound to one push: kind, mode, the API's base URL (a journal from
QA must not make a production push skip orders), the SHA-256 of the API key
(never the key) and an identity of the input. While a push runs, the journal records
its owner (process id and host) so a second push on the same file is refused;
a killed owner does not lock the journal, since its process is gone.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Fingerprint", "digest_payloads", "held_by_other", "owner_record"]


@dataclass(frozen=True)
class Fingerprint:
    """What a journal belongs to; a journal refuses any other push.

    Attributes:
        kind: "orders" or "returns".
        mode: "offline" or "online".
        api_key_sha256: hex SHA-256 of the API key (the key itself is never stored).
        input_id: identity of the input (a payload digest, or the caller's id).
        url: the API's base URL (environment); empty when not bound to one.
    """

    kind: str
    mode: str
    api_key_sha256: str
    input_id: str
    url: str = ""

    @classmethod
    def of(cls, *, kind: str, mode: str, api_key: str, input_id: str, url: str = "") -> Fingerprint:
        """Build a fingerprint, hashing the API key.

        Example:
            >>> fp = Fingerprint.of(kind="orders", mode="offline", api_key="12345", input_id="f1")
            >>> fp.api_key_sha256[:12]
            '5994471abb01'

        Raises:
            Nothing.
        """
        digest = hashlib.sha256(api_key.encode("utf-8")).hexdigest()
        return cls(kind=kind, mode=mode, api_key_sha256=digest, input_id=input_id, url=url)


def digest_payloads(payloads: Iterable[Any]) -> str:
    """SHA-256 of payloads as canonical JSON: the default input identity of a push.

    Example:
        >>> digest_payloads([{"id": "1"}]) == digest_payloads([{"id": "1"}])
        True
        >>> digest_payloads([{"id": "1"}]) == digest_payloads([{"id": "2"}])
        False

    Raises:
        TypeError: a payload holds a value JSON cannot represent.
    """
    h = hashlib.sha256()
    for payload in payloads:
        h.update(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8"))
        h.update(b"\n")
    return "sha256:" + h.hexdigest()


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return False  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def owner_record() -> str:
    """The owner entry this process writes into a journal it holds.

    Example:
        >>> sorted(json.loads(owner_record()))
        ['host', 'pid']

    Raises:
        Nothing.
    """
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname()})


def held_by_other(record: str | None) -> int | None:
    """The pid of another live process on this host that holds the journal, else None.

    Example:
        >>> held_by_other(owner_record()) is None  # this very process
        True

    Raises:
        Nothing.
    """
    if not record:
        return None
    try:
        owner = json.loads(record)
        mine, pid = owner["host"] == socket.gethostname(), int(owner["pid"])
    except (ValueError, TypeError, KeyError):
        return None  # unreadable: it proves no live owner, and the claim replaces it
    return pid if mine and pid != os.getpid() and _pid_alive(pid) else None
