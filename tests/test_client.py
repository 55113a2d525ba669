"""client.Client against the sandbox over loopback: sending, retries, errors, status pages, secrecy."""

from __future__ import annotations

import gzip
import json
import logging
import os
import random
import time
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
import requests
from requests.adapters import BaseAdapter

from omninb.batching import encode, pack
from omninb.client import HOSTS, Answer, Client, ClientConfig
from omninb.errors import (
    AuthError,
    BadRequestError,
    ConfigError,
    NotFoundError,
    PayloadTooLargeError,
    ServerError,
    TransportError,
)
from omninb.retry import RetryPolicy
from omninb.sandbox import Sandbox


def _order(i: int, product: str = "p1", noise: int = 0) -> dict:
    rnd = random.Random(i)
    return {
        "id": str(i),
        "userId": f"user{i}",
        "dateTime": "2022-04-25T12:21:55+09:00",
        "emailHash": "".join(rnd.choice("0123456789abcdef") for _ in range(noise)),
        "lineItems": [{"productId": product, "quantity": 1, "unitPrice": 2.5}],
    }


class Sleeps:
    """Records requested waits; really waits only when told to (Retry-After against a real window)."""

    def __init__(self, real: bool = False) -> None:
        self.waits: list[float] = []
        self.real = real

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.real:
            time.sleep(seconds)


def _client(sb: Sandbox, **options) -> Client:
    return sb.client(**options)


def _batch(orders):
    [batch] = list(pack(orders))
    return batch


# --- configuration -----------------------------------------------------------------


def test_env_picks_the_reference_hosts():
    for env, host in HOSTS.items():
        assert ClientConfig("k", "c", "s", env=env).url == host


def test_from_env_names_every_missing_variable():
    with pytest.raises(ConfigError, match="OMNI_CLIENT_ID, OMNI_CLIENT_SECRET not set"):
        ClientConfig.from_env({"OMNI_API_KEY": "k"})
    with pytest.raises(ConfigError, match="OMNI_API_KEY"):
        Client.from_env({})


def test_from_env_reads_env_and_base_url():
    env = {
        "OMNI_API_KEY": "k",
        "OMNI_CLIENT_ID": "c",
        "OMNI_CLIENT_SECRET": "s",
        "OMNI_ENV": "production",
    }
    assert ClientConfig.from_env(env).url == HOSTS["production"]
    env["OMNI_BASE_URL"] = "https://gw.example.com/"
    with Client.from_env(env, rate=50) as client:
        assert client.config.url == "https://gw.example.com" and client.config.rate == 50


def test_from_env_defaults_to_the_process_environment(monkeypatch):
    monkeypatch.setenv("OMNI_API_KEY", "k1")
    monkeypatch.setenv("OMNI_CLIENT_ID", "c1")
    monkeypatch.setenv("OMNI_CLIENT_SECRET", "s1")
    monkeypatch.delenv("OMNI_ENV", raising=False)
    monkeypatch.delenv("OMNI_BASE_URL", raising=False)
    assert ClientConfig.from_env().api_key == os.environ["OMNI_API_KEY"]


@pytest.mark.parametrize(
    "url",
    [
        "http://gateway.example.com",
        "http://10.0.0.5:8080",
        "ftp://127.0.0.1",
        "gateway.example.com",
    ],
)
def test_plain_http_to_remote_hosts_is_refused(url):
    with pytest.raises(ConfigError, match="base_url"):
        Client(api_key="k", client_id="c", client_secret="s", base_url=url)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9", "http://localhost:8765", "http://[::1]:80", "https://gw.example.com"],
)
def test_https_or_loopback_is_accepted(url):
    Client(api_key="k", client_id="c", client_secret="s", base_url=url).close()


def test_missing_credentials_and_unknown_env_are_config_errors():
    with pytest.raises(ConfigError, match="client_secret"):
        Client(api_key="k", client_id="c")
    with pytest.raises(ConfigError, match="env must be one of"):
        Client(api_key="k", client_id="c", client_secret="s", env="prod")


def test_repr_and_str_hide_the_secret():
    client = Client(api_key="k", client_id="c", client_secret="top-secret-value")
    for text in (
        repr(client),
        str(client),
        repr(client.config),
        str(client.config),
        repr(client.auth),
    ):
        assert "top-secret-value" not in text
    client.close()


# --- sending -------------------------------------------------------------------------


def test_send_batch_stores_every_record_once(sandbox):
    batch = _batch([_order(i) for i in range(40)])
    with _client(sandbox) as client:
        answer = client.send_batch(
            "orders", batch.body, n_records=len(batch), keys=batch.keys, request_no=1
        )
    assert isinstance(answer, Answer)
    assert answer.status == 200 and answer.attempts == 1 and not answer.uncertain
    assert answer.message == "Total records = 40. Success = 40. Failed = 0"
    assert answer.job_id and answer.body["jobId"] == answer.job_id
    ledger = sandbox.ledger()
    assert sorted(ledger["id"], key=int) == [str(i) for i in range(40)]
    assert set(ledger["stored"]) == {1} and set(ledger["jobId"]) == {answer.job_id}


def test_send_single_puts_to_the_quoted_user_url(sandbox):
    with _client(sandbox) as client:
        answer = client.send_single(
            "orders", "user A/1?x", {k: v for k, v in _order(7).items() if k != "userId"}
        )
    assert answer.status == 200
    ledger = sandbox.ledger()
    assert ledger.loc[0, "userId"] == "user A/1?x" and ledger.loc[0, "id"] == "7"


def test_returns_and_online_mode_reach_their_endpoint(sandbox):
    ret = {"orderId": "1", "returnId": "r1", "userId": "u", "dateTime": "2022-04-25T12:21:55+09:00",
           "lineItems": [{"productId": "p", "quantity": 1, "unitPrice": 1.0}]}  # fmt: skip
    batch = next(pack([ret], key="returnId"))
    with _client(sandbox) as client:
        client.send_batch("returns", batch.body, mode="online", n_records=1)
    ledger = sandbox.ledger()
    assert list(ledger["kind"]) == ["returns"] and list(ledger["mode"]) == ["online"]
    assert list(ledger["returnId"]) == ["r1"]


def test_unknown_kind_is_refused_before_sending(sandbox):
    with _client(sandbox) as client, pytest.raises(ValueError, match="kind"):
        client.send_single("order", "u", _order(1))


def test_throttle_keeps_the_sandbox_window_free_of_429(sandbox):
    statuses: list[int] = []
    # 10 % under the server's cap leaves room for a busy test machine's scheduling
    with _client(sandbox, rate=90) as client:
        client.session.hooks["response"].append(lambda r, **kw: statuses.append(r.status_code))
        for start in range(0, 250, 50):
            batch = _batch([_order(i) for i in range(start, start + 50)])
            client.send_batch("orders", batch.body, n_records=50)
    assert 429 not in statuses and len(sandbox.ledger()) == 250


# --- failures and retries ----------------------------------------------------------


def test_429_honours_retry_after_and_widens_the_throttle():
    sleeps = Sleeps(real=True)
    with Sandbox(rate_limit=3) as sb, sb.client(sleep=sleeps) as client:
        base = client.throttle.margin
        answers = [client.send_single("orders", f"u{i}", _order(i)) for i in range(4)]
    assert [a.attempts for a in answers] == [1, 1, 1, 2]
    assert 1.0 in sleeps.waits  # the sandbox's Retry-After: 1
    assert client.throttle.margin > base
    assert len(sb.ledger()) == 4


def test_5xx_is_retried_with_backoff_then_server_error():
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=4, base=0.5, cap=1.0)
    batch = _batch([_order(i) for i in range(3)])
    with (
        Sandbox(error_rate=1.0, seed=1) as sb,
        sb.client(retry=policy, sleep=sleeps, rate=None) as client,
        pytest.raises(ServerError) as caught,
    ):
        client.send_batch("orders", batch.body, n_records=3, request_no=9, keys=batch.keys)
    err = caught.value
    assert err.attempts == 4 and err.status_code in (500, 503) and not err.uncertain
    assert err.request_no == 9 and err.order_ids == ["0", "1", "2"]
    assert "Simulated server error" in str(err) and "request #9" in str(err)
    assert len(sleeps.waits) == 3
    assert all(0 <= w <= ceiling for w, ceiling in zip(sleeps.waits, [0.5, 1.0, 1.0], strict=True))
    assert sb.ledger().empty


def test_intermittent_5xx_ends_stored_once():
    with Sandbox(error_rate=0.5, seed=3) as sb, sb.client(sleep=Sleeps()) as client:
        answers = [client.send_single("orders", f"u{i}", _order(i)) for i in range(12)]
    assert max(a.attempts for a in answers) > 1
    assert not any(a.uncertain for a in answers)
    ledger = sb.ledger()
    assert len(ledger) == 12 and set(ledger["stored"]) == {1}


def test_413_is_raised_at_once_naming_the_orders(sandbox):
    orders = [_order(i, noise=3_000) for i in range(60)]
    records = b"[" + b",".join(encode(o) for o in orders) + b"]"
    body = gzip.compress(records)
    assert len(body) > 100_000
    with _client(sandbox, sleep=Sleeps()) as client, pytest.raises(PayloadTooLargeError) as caught:
        client.send_batch(
            "orders", body, n_records=60, request_no=3, keys=[o["id"] for o in orders]
        )
    assert caught.value.attempts == 1 and caught.value.status_code == 413
    assert "100,000 bytes" in caught.value.server_message
    assert "request #3" in str(caught.value)


def test_400_is_not_retried_and_carries_the_server_message(sandbox):
    sleeps = Sleeps()
    with _client(sandbox, sleep=sleeps) as client, pytest.raises(BadRequestError) as caught:
        client.send_batch("orders", gzip.compress(b'{"not": "an array"}'), n_records=1, keys=["x1"])
    assert caught.value.attempts == 1 and not sleeps.waits
    assert "must be a JSON array" in caught.value.server_message
    assert "x1" in str(caught.value)


def test_dropped_answers_after_storing_are_marked_uncertain():
    with Sandbox(drop_after_rate=0.4, seed=5) as sb, sb.client(sleep=Sleeps()) as client:
        answers = {i: client.send_single("orders", f"u{i}", _order(i)) for i in range(15)}
    ledger = sb.ledger().set_index("id")
    doubled = {i for i, n in ledger["stored"].items() if n > 1}
    assert doubled  # the knob did drop some answers after storing
    assert doubled <= {str(i) for i, a in answers.items() if a.uncertain}
    assert set(ledger.index) == {str(i) for i in range(15)}


def test_answer_never_arriving_gives_uncertain_transport_error():
    with (
        Sandbox(drop_after_rate=1.0) as sb,
        sb.client(retry=RetryPolicy(max_attempts=2), sleep=Sleeps()) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.send_single("orders", "u1", _order(1), request_no=4, keys=["1"])
    assert caught.value.uncertain and caught.value.attempts == 2
    assert "may be stored" in str(caught.value) and "request #4" in str(caught.value)
    assert sb.ledger().loc[0, "stored"] == 2


def test_refused_connection_is_a_certain_transport_error():
    with Sandbox() as sb:
        url, creds = sb.url, sb.credentials
    policy = RetryPolicy(max_attempts=2)
    with (
        Client(base_url=url, **creds, retry=policy, sleep=Sleeps(), timeout=(1.0, 1.0)) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.send_single("orders", "u1", _order(1))
    assert not caught.value.uncertain and caught.value.attempts == 2


def test_wrong_credentials_are_not_retried(sandbox):
    creds = {**sandbox.credentials, "client_secret": "wrong-secret-xyz"}
    with (
        Client(base_url=sandbox.url, **creds, sleep=Sleeps()) as client,
        pytest.raises(AuthError) as caught,
    ):
        client.send_single("orders", "u1", _order(1))
    assert caught.value.attempts == 1 and "wrong-secret-xyz" not in str(caught.value)


# --- decisions the sandbox cannot provoke: a scripted transport --------------------


class Scripted(BaseAdapter):
    """Answers token requests with a token and imports with the scripted statuses, in order."""

    def __init__(self, script: list[tuple[int, dict[str, str]]]) -> None:
        super().__init__()
        self.script, self.seen = list(script), []

    def send(self, request, **kwargs):
        self.seen.append(request)
        if request.url.split("?")[0].endswith("/oauth2/token"):
            return self._answer(request, 200, {}, {"access_token": "tok", "expires_in": 28800})
        status, headers = self.script.pop(0)
        return self._answer(
            request, status, headers, {"message": f"scripted {status}", "jobId": "j1"}
        )

    @staticmethod
    def _answer(request, status, headers, body):
        response = requests.Response()
        response.status_code, response.request, response.url = status, request, request.url
        response.headers.update({"Content-Type": "application/json", **headers})
        response._content = json.dumps(body).encode()
        return response

    def close(self) -> None:
        pass


def _scripted_client(script, sleeps, **options) -> tuple[Client, Scripted]:
    client = Client(
        api_key="k", client_id="c", client_secret="s", env="qa", sleep=sleeps, **options
    )
    adapter = Scripted(script)
    client.session.mount(HOSTS["qa"], adapter)
    return client, adapter


def test_502_and_504_are_retried():
    sleeps = Sleeps()
    client, adapter = _scripted_client([(502, {}), (504, {}), (200, {})], sleeps, rate=None)
    answer = client.send_single("orders", "u", _order(1))
    assert answer.attempts == 3 and answer.job_id == "j1" and len(sleeps.waits) == 2
    assert len(adapter.seen) == 4  # one token request, three attempts


def test_retries_are_throttled_too():
    sleeps = Sleeps()
    client, _ = _scripted_client([(503, {}), (200, {})], sleeps, rand=lambda: 0.0)
    batch = _batch([_order(i) for i in range(100)])
    assert client.send_batch("orders", batch.body, n_records=100).attempts == 2
    backoff, throttle_wait = sleeps.waits
    assert backoff == 0.0 and throttle_wait > 0.9  # the retry waited for the next window


def test_http_date_retry_after_is_honoured():
    sleeps = Sleeps()
    when = format_datetime(datetime.fromtimestamp(time.time() + 30, tz=UTC), usegmt=True)
    client, _ = _scripted_client([(429, {"Retry-After": when}), (200, {})], sleeps, rate=None)
    assert client.send_single("orders", "u", _order(1)).attempts == 2
    assert 27 <= sleeps.waits[0] <= 30


def test_garbage_retry_after_falls_back_to_backoff():
    sleeps = Sleeps()
    client, _ = _scripted_client(
        [(429, {"Retry-After": "later"}), (200, {})], sleeps, rand=lambda: 1.0, rate=None
    )
    client.send_single("orders", "u", _order(1))
    assert sleeps.waits == [RetryPolicy().base]


def test_gzip_headers_and_mode_on_the_wire():
    client, adapter = _scripted_client([(200, {})], Sleeps())
    batch = _batch([_order(1), _order(2)])
    client.send_batch("orders", batch.body, mode="online", n_records=2)
    sent = adapter.seen[-1]
    assert sent.method == "POST" and sent.url.endswith("/omnichannel/api/v1/k/orders?mode=online")
    assert (
        sent.headers["Content-Encoding"] == "gzip"
        and sent.headers["Content-Type"] == "application/json"
    )
    assert sent.headers["Authorization"] == "Bearer tok" and sent.body == batch.body


# --- status --------------------------------------------------------------------------


def test_job_events_follow_every_page():
    orders = [_order(i, product="unknown" if i % 2 else "p1") for i in range(9)]
    with Sandbox(catalog=["p1"]) as sb, sb.client() as client:
        batch = _batch(orders)
        answer = client.send_batch("orders", batch.body, n_records=9)
        events = client.job_events(answer.job_id, rows=2)
        single_page = client.job_events(answer.job_id)
    assert events["summary"]["job-status"] == "PROCESSING_WITH_WARNING"
    ids = sorted(e["attributes"]["orderId"] for e in events["result"])
    assert ids == ["1", "3", "5", "7"]
    assert events["result"] == single_page["result"]
    assert all("No product is found" in e["message"] for e in events["result"])


def test_unknown_job_is_not_found_naming_it(sandbox):
    with _client(sandbox) as client, pytest.raises(NotFoundError) as caught:
        client.job_events("no-such-job")
    assert caught.value.job_id == "no-such-job" and "no-such-job" in str(caught.value)
    assert caught.value.attempts == 1


# --- secrecy -------------------------------------------------------------------------


def test_no_secret_or_token_in_logs_or_errors(caplog):
    caplog.set_level(logging.DEBUG)
    tokens: list[str] = []
    errors: list[str] = []

    def grab(response, **kw):
        if response.request.url.endswith("/oauth2/token") and response.ok:
            tokens.append(response.json()["access_token"])

    with Sandbox(token_ttl=0.5, error_rate=0.3, seed=2) as sb, sb.client(sleep=Sleeps()) as client:
        client.session.hooks["response"].append(grab)
        for i in range(6):
            client.send_single("orders", f"u{i}", _order(i))
            time.sleep(0.15)
        client.job_events(client.send_single("orders", "u9", _order(9)).job_id)
        try:
            client.send_batch("orders", b"garbage", n_records=1)
        except BadRequestError as exc:
            errors.append(str(exc) + repr(exc))
        secret = sb.credentials["client_secret"]
    assert len(tokens) >= 3 and errors
    assert "omninb.client" in caplog.text and "PUT /omnichannel" in caplog.text
    for text in (caplog.text, *errors, repr(client), repr(client.auth)):
        assert secret not in text
        assert not [t for t in tokens if t in text]


def test_answers_time_tells_the_throttle_when_requests_arrived(sandbox):
    learned: list[float] = []
    with _client(sandbox) as client:
        real = client.throttle.arrived
        client.throttle.arrived = lambda slot, t: learned.append(t) or real(slot, t)  # type: ignore[method-assign]
        before = time.time()
        for i in range(3):
            client.send_single("orders", f"u{i}", _order(i))
        with pytest.raises(BadRequestError):
            client.send_batch("orders", b"not gzip", n_records=1)
    assert len(learned) == 3  # successful imports only
    assert all(before - 1 <= t <= time.time() + 1 for t in learned)
