"""omninb: POS order and return exports from pandas into the Omnichannel Order API.

Importing omninb registers the ``df.omni`` accessor. Everything heavier than
that (pandera, requests, aiohttp, matplotlib, ipywidgets) is imported on first
use of the name that needs it, so ``import omninb`` and the CLI start fast and
the library works headless.

Example:
    >>> import omninb
    >>> issubclass(omninb.ValidationError, omninb.OmniError)
    True
"""

from __future__ import annotations

import importlib
from typing import Any

from omninb import accessor as _accessor  # noqa: F401  (registers df.omni)
from omninb.errors import (
    AuthError,
    BadRequestError,
    ConfigError,
    HTTPError,
    JournalError,
    NotFoundError,
    OmniError,
    PayloadTooLargeError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
)

__version__ = "0.1.0"

# public name -> module that defines it; loaded on first attribute access (PEP 562)
_LAZY: dict[str, str] = {
    "read_pos": "omninb.pos",
    "hash_email": "omninb.pii",
    "ValidationReport": "omninb.schemas",
    "Client": "omninb.client",
    "ClientConfig": "omninb.client",
    "PushResult": "omninb.result",
    "StatusReport": "omninb.status",
    "collect_status": "omninb.status",
    "Sandbox": "omninb.sandbox",
    "dashboard": "omninb.widgets",  # not dashboard.py: a submodule would shadow the function
}
_SUBMODULES = ("charts",)

__all__ = [
    "AuthError",
    "BadRequestError",
    "Client",
    "ClientConfig",
    "ConfigError",
    "HTTPError",
    "JournalError",
    "NotFoundError",
    "OmniError",
    "PayloadTooLargeError",
    "PushResult",
    "RateLimitError",
    "Sandbox",
    "ServerError",
    "StatusReport",
    "TransportError",
    "ValidationError",
    "ValidationReport",
    "charts",
    "collect_status",
    "dashboard",
    "hash_email",
    "read_pos",
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"omninb.{name}")
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'omninb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
