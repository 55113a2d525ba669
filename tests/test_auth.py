"""auth.TokenAuth against the sandbox: fetch on first use, early refresh, one refresh on 401."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from omninb.auth import TokenAuth, refresh_margin
from omninb.errors import AuthError, TransportError
from omninb.sandbox import Sandbox

IMPORT = "/omnichannel/api/v1"


class FrozenClock:
    """A clock tests move by hand, so the auth's idea of time can differ from the server's."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _auth(sb: Sandbox, session: requests.Session, **kw) -> TokenAuth:
    c = sb.credentials
    return TokenAuth(
        sb.url + f"{IMPORT}/oauth2/token", c["client_id"], c["client_secret"], session=session, **kw
    )


def _order_url(sb: Sandbox, api_key: str | None = None) -> str:
    return f"{sb.url}{IMPORT}/{api_key or sb.credentials['api_key']}/orders/users/u1"


def _order(i: int = 1) -> dict:
    return {
        "id": str(i),
        "dateTime": "2022-04-25T12:21:55+09:00",
        "lineItems": [{"productId": "p", "quantity": 1, "unitPrice": 2.5}],
    }


@pytest.fixture
def session():
    with requests.Session() as s:
        yield s


def _watch(session: requests.Session) -> list[requests.Response]:
    seen: list[requests.Response] = []
    session.hooks["response"].append(lambda r, **kw: seen.append(r))
    return seen


def test_refresh_margin_is_a_tenth_capped_at_five_minutes():
    assert refresh_margin(28_800) == 300.0
    assert refresh_margin(2) == pytest.approx(0.2)
    assert refresh_margin(1_000) == 100.0
    assert refresh_margin(-5) == 0.0


def test_token_is_fetched_on_first_use_with_a_form_body(sandbox, session):
    seen = _watch(session)
    auth = _auth(sandbox, session)
    assert auth.fetches == 0 and not seen
    answer = session.put(_order_url(sandbox), json=_order(), auth=auth)
    assert answer.status_code == 200
    token_request = seen[0].request
    assert token_request.url.endswith("/oauth2/token")  # no credentials in the query string
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "grant_type=client_credentials" in token_request.body
    session.put(_order_url(sandbox), json=_order(2), auth=auth)
    assert auth.fetches == 1


def test_token_is_refreshed_before_it_expires(session):
    clock = FrozenClock()
    with Sandbox(token_ttl=2) as sb:
        auth = _auth(sb, session, clock=clock)
        first = auth.token()
        clock.now = 1.7  # still inside 2 s minus the 10 % margin
        assert auth.token() == first and auth.fetches == 1
        clock.now = 1.81  # past the margin: renewed before the server would refuse it
        second = auth.token()
        assert second != first and auth.fetches == 2
        assert session.put(_order_url(sb), json=_order(), auth=auth).status_code == 200


@pytest.mark.slow
def test_two_second_token_keeps_working_through_a_longer_run(session):
    seen = _watch(session)
    with Sandbox(token_ttl=2, rate_limit=None) as sb:
        auth = _auth(sb, session)
        end, sent = time.monotonic() + 4.5, 0
        while time.monotonic() < end:
            assert session.put(_order_url(sb), json=_order(sent), auth=auth).status_code == 200
            sent += 1
            time.sleep(0.05)
        assert auth.fetches >= 3
        assert not [r for r in seen if r.status_code == 401]  # refreshed early, never refused
        assert len(sb.ledger()) == sent


def test_401_refreshes_once_and_resends_once(session):
    clock = FrozenClock()  # the auth believes its token is fresh; the server knows better
    with Sandbox(token_ttl=0.3) as sb:
        auth = _auth(sb, session, clock=clock)
        assert session.put(_order_url(sb), json=_order(1), auth=auth).status_code == 200
        time.sleep(0.4)
        answer = session.put(_order_url(sb), json=_order(2), auth=auth)
        assert answer.status_code == 200
        assert [r.status_code for r in answer.history] == [401]
        assert auth.fetches == 2
        assert sorted(sb.ledger()["id"]) == ["1", "2"]


def test_persistent_401_is_resent_only_once(sandbox, session):
    seen = _watch(session)
    auth = _auth(sandbox, session)
    answer = session.put(_order_url(sandbox, api_key="not-my-key"), json=_order(), auth=auth)
    assert answer.status_code == 401
    assert len(answer.history) == 1
    assert "not allowed apiKey" in answer.json()["message"]
    assert auth.fetches == 2
    assert [r.status_code for r in seen] == [200, 200, 401]  # token, refreshed token, final answer


def test_concurrent_threads_share_one_fetch(sandbox, session):
    auth = _auth(sandbox, session)
    barrier = threading.Barrier(12)
    tokens: list[str] = []

    def worker() -> None:
        barrier.wait()
        tokens.append(auth.token())

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert auth.fetches == 1 and len(set(tokens)) == 1
    # many requests rejecting the same stale token cause a single refresh
    stale = tokens[0]
    for _ in range(5):
        auth.invalidate(stale)
    fresh = auth.token()
    auth.invalidate(stale)  # already replaced: ignored
    assert auth.token() == fresh and auth.fetches == 2


def test_wrong_secret_is_an_auth_error_without_the_secret(sandbox, session):
    secret = "definitely-wrong-secret-123"
    auth = TokenAuth(
        sandbox.url + f"{IMPORT}/oauth2/token",
        sandbox.credentials["client_id"],
        secret,
        session=session,
    )
    with pytest.raises(AuthError) as caught:
        auth.token()
    text = str(caught.value)
    assert caught.value.status_code == 401
    assert "wrong client_secret" in text and sandbox.credentials["client_id"] in text
    assert secret not in text and secret not in repr(caught.value)


def test_unreachable_token_endpoint_is_a_transport_error(session):
    with Sandbox() as sb:
        url = sb.url
    auth = TokenAuth(url + f"{IMPORT}/oauth2/token", "cid", "s3cret", session=session, timeout=2)
    with pytest.raises(TransportError, match="token endpoint"):
        auth.token()


def test_repr_never_shows_secret_or_token(sandbox, session):
    auth = _auth(sandbox, session)
    assert "no token yet" in repr(auth)
    token = auth.token()
    shown = repr(auth) + str(auth) + repr(auth._token)
    assert "token cached" in shown
    assert token not in shown and sandbox.credentials["client_secret"] not in shown
