"""push() under faults: 429, 5xx, dropped connections, short token TTL, Ctrl-C, refused credentials, secrets."""

import _thread
import logging
import threading
import time

import pytest
from push_data import orders, stored

import omninb
from omninb.errors import AuthError
from omninb.push import push
from omninb.retry import RetryPolicy

pytestmark = pytest.mark.slow


def test_recovers_from_429_when_the_server_allows_less_than_the_client_sends():
    # the client paces to 100/s; a server allowing 40/s answers 429 with Retry-After
    with omninb.Sandbox(rate_limit=40) as sb, sb.client() as client:
        result = push(orders(120, max_lines=1), client, method="single", progress=False)
    assert (stored(sb) == 1).all() and len(stored(sb)) == 120
    assert result.orders["state"].eq("sent").all()
    assert result.requests["attempts"].max() > 1  # some requests were retried after a 429


def test_recovers_from_server_errors():
    with omninb.Sandbox(rate_limit=None, error_rate=0.3, seed=7) as sb, sb.client() as client:
        result = push(orders(60, max_lines=1), client, method="single", progress=False)
    assert (stored(sb) == 1).all() and len(stored(sb)) == 60
    assert result.requests["attempts"].max() > 1
    assert result.summary().complete


@pytest.mark.parametrize("method", ["batch", "single"])
def test_dropped_connections_lose_nothing_and_only_uncertain_orders_repeat(method):
    knobs = {"rate_limit": None, "drop_before_rate": 0.15, "drop_after_rate": 0.15, "seed": 3}
    df = orders(1000 if method == "batch" else 120, max_lines=1)
    patient = RetryPolicy(max_attempts=10, base=0.01, cap=0.05)  # a request never gives up here
    with omninb.Sandbox(**knobs) as sb, sb.client(rate=None, retry=patient) as client:
        result = push(df, client, method=method, progress=False)
    counts = stored(sb)
    assert sorted(counts.index) == sorted(df["id"])  # nothing lost
    twice = set(counts[counts > 1].index)
    uncertain = set(result.orders.loc[result.orders["uncertain"], "id"])
    assert twice <= uncertain
    assert result.requests["uncertain"].any()  # the drops after storing were noticed
    assert result.orders["state"].eq("sent").all()


def test_token_refresh_with_a_two_second_ttl_during_a_longer_push():
    with omninb.Sandbox(rate_limit=100, token_ttl=2) as sb, sb.client() as client:
        result = push(orders(500, max_lines=1), client, progress=False)  # ~5 s at 100/s
        issued = len(sb._gateway.tokens._grants)  # every token the sandbox handed out
    assert (stored(sb) == 1).all() and len(stored(sb)) == 500
    assert result.requests["status"].eq(200).all()
    assert issued >= 2  # the token expired during the push and was replaced


def interrupt_when_stored(sb, n):
    """Press Ctrl-C (SIGINT to the main thread) once the sandbox stored ``n`` orders."""

    def watch():
        while len(sb.ledger()) < n:
            time.sleep(0.02)
        _thread.interrupt_main()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("method", ["batch", "single"])
def test_ctrl_c_finishes_the_requests_in_flight_and_pushing_again_resumes(tmp_path, method, caplog):
    df, path = orders(400 if method == "batch" else 150, max_lines=1), tmp_path / "j.sqlite"
    with omninb.Sandbox(rate_limit=100, latency=0.05) as sb, sb.client() as client:
        interrupt_when_stored(sb, 100 if method == "batch" else 40)
        with caplog.at_level(logging.WARNING):
            partial = push(df, client, method=method, journal=path, progress=False)
        sent_before = set(stored(sb).index)
        assert partial.interrupted
        assert "interrupted" in caplog.text.lower() and "same journal" in caplog.text
        # every request that went out was answered and journaled before push returned
        assert partial.requests["status"].notna().all()
        assert set(partial.orders.loc[partial.orders["state"] == "sent", "id"]) == sent_before
        assert (partial.orders["state"] == "unsent").any()
        final = push(df, client, method=method, journal=path, progress=False)
    assert not final.interrupted and final.orders["state"].eq("sent").all()
    assert (stored(sb) == 1).all() and len(stored(sb)) == df["id"].nunique()


def test_refused_credentials_stop_the_push_with_the_partial_result():
    with omninb.Sandbox(rate_limit=None) as sb:
        creds = sb.credentials
        bad = omninb.Client(
            api_key=creds["api_key"],
            client_id=creds["client_id"],
            client_secret="wrong-secret",
            base_url=sb.url,
        )
        with bad, pytest.raises(AuthError) as info:
            push(orders(300), bad, progress=False)
        assert sb.ledger().empty
    result = info.value.result
    assert len(result.requests) <= 4  # stopped after the requests in flight, not one per batch
    assert result.orders["state"].isin(["failed", "unsent"]).all()
    assert "wrong-secret" not in str(info.value)


def test_no_secret_in_output_logs_exceptions_or_journal(tmp_path, capsys, caplog):
    path = tmp_path / "j.sqlite"
    with omninb.Sandbox(rate_limit=None, token_ttl=1, error_rate=0.2, seed=5) as sb:
        secret = sb.credentials["client_secret"]
        with caplog.at_level(logging.DEBUG), sb.client() as client:
            result = push(orders(200, max_lines=1), client, journal=path, progress=True)
            texts = [
                repr(result),
                result._repr_html_(),
                str(result.summary()),
                repr(client),
                str(client),
            ]
            with pytest.raises(ValueError) as info:
                push(orders(2), client, method="bulk")
            texts.append(str(info.value))
        tokens = list(sb._gateway.tokens._grants)  # every token the sandbox issued
    out = capsys.readouterr()
    texts += [out.out, out.err, caplog.text, result.requests.to_csv(), result.orders.to_csv()]
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert tokens, "the push should have fetched tokens"
    for needle in [secret, *tokens]:
        assert all(needle not in t for t in texts)
        assert needle.encode() not in blob
