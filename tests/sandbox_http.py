"""Plain-``requests`` helpers for the sandbox tests (deliberately not omninb's client)."""

from __future__ import annotations

import gzip
import json
from typing import Any

import requests

TOKEN_PATHS = {
    "import": "/omnichannel/api/v1/oauth2/token",
    "status": "/common-status/v1/oauth2/token",
}


def token(sb: Any, service: str = "import", **overrides: str) -> requests.Response:
    """POST the client credentials grant as a form body."""
    creds = sb.credentials
    form = {
        "grant_type": "client_credentials",
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
        **overrides,
    }
    return requests.post(sb.url + TOKEN_PATHS[service], data=form, timeout=10)


def session(sb: Any, service: str = "import") -> requests.Session:
    """A Session carrying a fresh bearer token of ``service``."""
    answer = token(sb, service)
    assert answer.status_code == 200, answer.text
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + answer.json()["access_token"]
    return s


def order(oid: Any = "1", user: str = "u1", product: Any = "4556", **fields: Any) -> dict[str, Any]:
    """A valid order with one line item."""
    return {
        "id": oid,
        "userId": user,
        "dateTime": "2022-04-25T12:21:55+09:00",
        "lineItems": [{"productId": product, "quantity": 1, "unitPrice": 9.99}],
        **fields,
    }


def a_return(
    rid: Any = "r1", oid: Any = "1", product: Any = "4556", **fields: Any
) -> dict[str, Any]:
    """A valid return with one line item."""
    return {
        "orderId": oid,
        "returnId": rid,
        "userId": "u1",
        "dateTime": "2023-03-09T14:30:00+09:00",
        "lineItems": [
            {"productId": product, "quantity": 2, "unitPrice": 5.0, "creditType": "cash back"}
        ],
        **fields,
    }


def imports_url(
    sb: Any, kind: str = "orders", user: str | None = None, api_key: str | None = None
) -> str:
    key = api_key or sb.credentials["api_key"]
    tail = f"/users/{user}" if user else ""
    return f"{sb.url}/omnichannel/api/v1/{key}/{kind}{tail}"


def events_url(sb: Any, job_id: str, api_key: str | None = None) -> str:
    key = api_key or sb.credentials["api_key"]
    return f"{sb.url}/common-status/v1/{key}/job/{job_id}/events"


def post_gzip(s: requests.Session, url: str, records: Any, **kwargs: Any) -> requests.Response:
    """POST records as a gzip-compressed JSON body, the way the gateway wants batches."""
    body = gzip.compress(json.dumps(records).encode())
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    return s.post(url, data=body, headers=headers, timeout=10, **kwargs)
