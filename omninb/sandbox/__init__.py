"""The sandbox: a local emulator of the Omnichannel gateway for offline runs and tests.

It stands in for a remote service, so nothing here imports omninb's client,
auth or push code (``Sandbox.client()`` imports the client lazily, for the caller).

Example:
    >>> import requests
    >>> from omninb.sandbox import Sandbox
    >>> with Sandbox() as sb:
    ...     c = sb.credentials
    ...     r = requests.post(sb.url + "/omnichannel/api/v1/oauth2/token",
    ...                       data={"grant_type": "client_credentials",
    ...                             "client_id": c["client_id"], "client_secret": c["client_secret"]})
    ...     r.json()["expires_in"]
    28800
"""

from __future__ import annotations

from omninb.sandbox.config import Credential, Knobs
from omninb.sandbox.server import Sandbox

__all__ = ["Credential", "Knobs", "Sandbox"]
