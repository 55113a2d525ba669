"""Sandbox tokens: per-service bearer tokens with a TTL, and 401 for every bad one."""

import time

import pytest
import requests
from sandbox_http import events_url, imports_url, order, session, token

from omninb.errors import ConfigError
from omninb.sandbox import Sandbox


def test_token_from_form_body_has_the_reference_shape(sandbox):
    answer = token(sandbox)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"token_type", "access_token", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 28800
    assert len(body["access_token"]) >= 24


def test_token_from_query_string_is_accepted(sandbox):
    creds = sandbox.credentials
    params = {
        "grant_type": "client_credentials",
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
    }
    answer = requests.post(
        sandbox.url + "/common-status/v1/oauth2/token", params=params, timeout=10
    )
    assert answer.status_code == 200
    assert answer.json()["token_type"] == "bearer"


def test_each_token_is_new(sandbox):
    assert token(sandbox).json()["access_token"] != token(sandbox).json()["access_token"]


@pytest.mark.parametrize("field", ["client_id", "client_secret"])
def test_wrong_credentials_get_401_json_without_echoing_the_secret(sandbox, field):
    answer = token(sandbox, **{field: "wrong-value"})
    assert answer.status_code == 401
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json()["status"] == 401
    assert "client_id" in answer.json()["message"]
    assert sandbox.credentials["client_secret"] not in answer.text


def test_other_grant_type_gets_400(sandbox):
    answer = token(sandbox, grant_type="password")
    assert answer.status_code == 400
    assert "client_credentials" in answer.json()["message"]


def test_import_without_token_gets_401(sandbox):
    answer = requests.put(imports_url(sandbox, user="u1"), json=order(), timeout=10)
    assert answer.status_code == 401
    assert "Bearer" in answer.json()["message"]


def test_unknown_token_gets_401(sandbox):
    headers = {"Authorization": "Bearer not-a-token"}
    answer = requests.put(
        imports_url(sandbox, user="u1"), json=order(), headers=headers, timeout=10
    )
    assert answer.status_code == 401
    assert "Unknown bearer token" in answer.json()["message"]


def test_status_token_is_refused_by_import_and_import_token_by_status(sandbox):
    status_session = session(sandbox, "status")
    refused = status_session.put(imports_url(sandbox, user="u1"), json=order(), timeout=10)
    assert refused.status_code == 401
    assert "status token" in refused.json()["message"]

    job = (
        session(sandbox)
        .put(imports_url(sandbox, user="u1"), json=order(), timeout=10)
        .json()["jobId"]
    )
    refused = session(sandbox, "import").get(events_url(sandbox, job), timeout=10)
    assert refused.status_code == 401
    assert "import token" in refused.json()["message"]
    assert status_session.get(events_url(sandbox, job), timeout=10).status_code == 200


def test_expired_token_gets_401_and_a_new_token_works():
    with Sandbox(token_ttl=0.3) as sb:
        answer = token(sb)
        assert answer.json()["expires_in"] == 0.3
        s = session(sb)
        assert s.put(imports_url(sb, user="u1"), json=order(), timeout=10).status_code == 200
        time.sleep(0.4)
        expired = s.put(imports_url(sb, user="u1"), json=order(), timeout=10)
        assert expired.status_code == 401
        assert "expired" in expired.json()["message"]
        assert (
            session(sb).put(imports_url(sb, user="u1"), json=order(), timeout=10).status_code == 200
        )


def test_token_of_a_client_not_allowed_that_api_key_gets_401():
    creds = [("cid-a", "secret-a", ["key-a"]), ("cid-b", "secret-b", ["key-b", "key-c"])]
    with Sandbox(credentials=creds) as sb:
        assert sb.credentials == {
            "client_id": "cid-a",
            "client_secret": "secret-a",
            "api_key": "key-a",
        }
        s = session(sb)  # client a
        assert (
            s.put(imports_url(sb, user="u1", api_key="key-a"), json=order(), timeout=10).status_code
            == 200
        )
        refused = s.put(imports_url(sb, user="u1", api_key="key-b"), json=order(), timeout=10)
        assert refused.status_code == 401
        assert "not allowed apiKey key-b" in refused.json()["message"]


def test_default_credentials_are_generated_per_sandbox():
    with Sandbox() as one, Sandbox() as two:
        assert one.credentials["client_secret"] != two.credentials["client_secret"]
        assert one.credentials["client_id"] != two.credentials["client_id"]


def test_secret_never_appears_in_repr(sandbox):
    assert sandbox.credentials["client_secret"] not in repr(sandbox)
    assert sandbox.credentials["client_secret"] not in str(sandbox._gateway.credentials)


@pytest.mark.parametrize(
    "bad",
    [[("only-id",)], [("cid", "sec", "key-as-string")], [], [("a", "s", ["k"]), ("a", "t", ["k"])]],
)
def test_malformed_credentials_are_refused(bad):
    with pytest.raises(ConfigError):
        Sandbox(credentials=bad)
