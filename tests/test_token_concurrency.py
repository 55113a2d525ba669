"""auth under concurrency: 32 threads share one Client; each token is fetched once per refresh.

The sandbox counts what it issued (``sb.issued_tokens()``) and every 401 it
answered by reason (``sb.token_refusals()``): a request that went out with an
expired token would show there even though TokenAuth's 401 hook hides it from
the caller by re-sending.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import omninb
from omninb.auth import refresh_margin

pytestmark = pytest.mark.slow

TTL = 2.0
DURATION = 3.2 * TTL  # long enough for three refreshes of each service's token
THREADS = 32


def order(n: int) -> dict:
    return {
        "id": f"T{n}",
        "dateTime": "2024-03-01T10:15:00+09:00",
        "lineItems": [{"productId": "p", "quantity": 1, "unitPrice": 1.5}],
    }


def hammer(client, numbers, stop: float, job_id: str, statuses: list, lock: threading.Lock):
    """Send orders (and every fifth time read the job's status) until ``stop``."""
    while time.monotonic() < stop:
        n = next(numbers)
        if n % 5 == 0:
            client.job_events(job_id)
            status = 200
        else:
            status = client.send_single("orders", f"u{n % 7}", order(n)).status
        with lock:
            statuses.append(status)


def run_threads(sb, client) -> list[int]:
    first = client.send_single("orders", "u0", order(-1))
    numbers, statuses, lock = itertools.count(), [], threading.Lock()
    stop = time.monotonic() + DURATION
    with ThreadPoolExecutor(THREADS) as pool:
        futures = [
            pool.submit(hammer, client, numbers, stop, first.job_id, statuses, lock)
            for _ in range(THREADS)
        ]
        for f in futures:
            f.result()  # re-raises any error a thread met
    return statuses


@pytest.fixture(scope="module")
def outcome():
    # latency keeps 32 threads from starving the in-process server of CPU, like a real network
    with (
        omninb.Sandbox(rate_limit=None, token_ttl=TTL, latency=0.1, jitter=0.05) as sb,
        sb.client(rate=None) as client,
    ):
        statuses = run_threads(sb, client)
        yield sb.issued_tokens(), sb.token_refusals(), client.auth, statuses


def test_every_request_succeeded_and_none_went_out_with_an_expired_token(outcome):
    _, refusals, _, statuses = outcome
    assert len(statuses) > THREADS * 5 and set(statuses) == {200}
    assert refusals == {}  # not one 401: no expired, unknown or missing token reached the server


@pytest.mark.parametrize("service", ["import", "status"])
def test_each_token_was_fetched_once_per_refresh(outcome, service):
    issued, _, auth, _ = outcome
    mine = [t for t in issued if t.service == service]
    assert len(mine) == auth[service].fetches  # every fetch the client made, and no other
    renew_after = TTL - refresh_margin(TTL)
    gaps = [b.issued_at - a.issued_at for a, b in itertools.pairwise(mine)]
    # two threads refreshing at once would show as two tokens issued within milliseconds
    assert all(gap >= renew_after * 0.8 for gap in gaps), gaps
    assert 3 <= len(mine) <= math.ceil(DURATION / renew_after) + 1


def test_tokens_never_appear_in_repr(outcome):
    issued, _, auth, _ = outcome
    shown = repr(auth) + repr(issued)
    assert not [t for t in issued if t.token in shown]
