"""answers: the values a request comes to, and the exception that names a given-up request."""

import pytest

from omninb.answers import Departure, Failure, Where, server_message
from omninb.errors import AuthError, RateLimitError, ServerError, TransportError

URL = "http://127.0.0.1:1/omnichannel/api/v1/key/orders"


def test_departure_keeps_the_first_attempt_only():
    left = Departure()
    left.mark(5.0)
    wall = left.wall
    left.mark(9.0)
    assert left.at == 5.0 and left.wall == wall and wall is not None


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"message": "Body is not JSON", "error": "Bad Request"}, "Body is not JSON"),
        ({"error": "Unauthorized"}, "Unauthorized"),
        ({}, None),
        ("upstream timed out", "upstream timed out"),
        ("", None),
    ],
)
def test_server_message_reads_the_servers_words(body, said):
    assert server_message(body) == said


@pytest.mark.parametrize(
    ("outcome", "cls", "status"),
    [
        (503, ServerError, 503),
        (429, RateLimitError, 429),
        (ConnectionError(), TransportError, None),
    ],
)
def test_failure_builds_the_class_for_the_outcome_naming_request_and_orders(outcome, cls, status):
    failure = Failure("POST", URL + "?mode=offline", Where(7, ("A1", "A2")), 8, False, "gave up")
    exc = failure.error(outcome, "busy")
    assert type(exc) is cls and exc.status_code == status and exc.attempts == 8
    text = str(exc)
    assert "POST /omnichannel/api/v1/key/orders failed: gave up" in text
    assert "request #7" in text and "orders A1, A2" in text and "mode=offline" not in text


def test_failure_of_the_token_fetch_keeps_its_class_and_says_so():
    refused = AuthError("Token request refused", status_code=401, server_message="bad secret")
    exc = Failure("PUT", URL, Where(2, ("A1",)), 1, False, "not retried").error(refused, None)
    assert isinstance(exc, AuthError) and exc.status_code == 401
    assert "while getting a token (Token request refused" in str(exc)


def test_failure_after_a_lost_answer_is_marked_uncertain():
    exc = Failure("POST", URL, Where(1, ("A1",)), 3, True, "gave up").error(503, None)
    assert exc.uncertain and "may be stored" in str(exc)
