"""Sandbox fault knobs (5xx, drops before/after storing, latency) and their seeded reproducibility."""

import pytest
import requests
from sandbox_http import imports_url, order, post_gzip, session

from omninb.errors import ConfigError
from omninb.sandbox import Knobs, Sandbox
from omninb.sandbox.faults import Fate, Faults


def _put(box, s, oid):
    return s.put(imports_url(box, user="u1"), json=order(oid), timeout=10)


def test_error_rate_answers_500_or_503_and_stores_nothing():
    with Sandbox(error_rate=1.0, seed=11) as box:
        s = session(box)
        codes = {_put(box, s, str(i)).status_code for i in range(20)}
        assert codes == {500, 503}
        answer = post_gzip(s, imports_url(box), [order("b")])
        assert "error_rate" in answer.json()["message"]
        assert box.ledger().empty


def test_error_rate_spares_token_and_status_calls():
    with Sandbox(error_rate=1.0) as box:
        assert session(box).headers["Authorization"].startswith("Bearer ")
        assert (
            session(box, "status")
            .get(box.url + "/common-status/v1/k/job/j/events", timeout=10)
            .status_code
            == 401
        )


def test_drop_before_closes_without_answer_and_stores_nothing():
    with Sandbox(drop_before_rate=1.0) as box:
        s = session(box)
        with pytest.raises(requests.ConnectionError):
            _put(box, s, "lost")
        with pytest.raises(requests.ConnectionError):
            post_gzip(s, imports_url(box), [order("lost-too")])
        assert box.ledger().empty


def test_drop_after_closes_without_answer_but_stores():
    with Sandbox(drop_after_rate=1.0) as box:
        s = session(box)
        with pytest.raises(requests.ConnectionError):
            _put(box, s, "kept")
        with pytest.raises(requests.ConnectionError):
            _put(box, s, "kept")  # the client's retry stores it a second time
        ledger = box.ledger()
        assert ledger["id"].tolist() == ["kept"]
        assert ledger.loc[0, "stored"] == 2


def test_server_keeps_serving_after_drops():
    with Sandbox(drop_before_rate=0.5, seed=3) as box:
        s = session(box)
        outcomes = []
        for i in range(30):
            try:
                outcomes.append(_put(box, s, str(i)).status_code)
            except requests.ConnectionError:
                outcomes.append(None)
        assert None in outcomes and 200 in outcomes
        assert len(box.ledger()) == outcomes.count(200)


def _outcomes(seed):
    with Sandbox(error_rate=0.3, drop_before_rate=0.2, drop_after_rate=0.2, seed=seed) as box:
        s = session(box)
        seen = []
        for i in range(40):
            try:
                seen.append(_put(box, s, str(i)).status_code)
            except requests.ConnectionError:
                seen.append("dropped")
        return seen, sorted(box.ledger()["id"])


def test_same_seed_replays_the_same_faults_and_another_seed_differs():
    first, second, other = _outcomes(42), _outcomes(42), _outcomes(7)
    assert first == second
    assert first != other
    assert {200, "dropped"} <= set(first[0])


def test_latency_beyond_the_client_timeout_is_a_read_timeout():
    with Sandbox(latency=1.5, jitter=0.0) as box, pytest.raises(requests.ReadTimeout):
        requests.post(box.url + "/omnichannel/api/v1/oauth2/token", timeout=0.2)


def test_fate_shares_follow_the_knobs_and_delays_stay_in_bounds():
    faults = Faults(
        Knobs(
            error_rate=0.25,
            drop_before_rate=0.25,
            drop_after_rate=0.25,
            latency=0.2,
            jitter=0.05,
            seed=5,
        )
    )
    fates = [faults.fate() for _ in range(4000)]
    for fate in Fate:
        assert 800 < fates.count(fate) < 1200, fate
    delays = [faults.delay() for _ in range(1000)]
    assert all(0.15 <= d <= 0.25 for d in delays)
    assert max(delays) - min(delays) > 0.05  # jitter really varies the delay


def test_latency_draws_do_not_shift_the_fate_sequence():
    plain = Faults(Knobs(error_rate=0.5, seed=9))
    slow = Faults(Knobs(error_rate=0.5, latency=0.1, jitter=0.05, seed=9))
    a = [plain.fate() for _ in range(50)]
    b = []
    for _ in range(50):
        slow.delay()
        b.append(slow.fate())
    assert a == b


@pytest.mark.parametrize(
    "knobs",
    [
        {"rate_limit": 0},
        {"token_ttl": 0},
        {"latency": -1},
        {"latency": 0.1, "jitter": 0.2},
        {"error_rate": 1.5},
        {"error_rate": 0.6, "drop_after_rate": 0.6},
        {"status_delay": -0.1},
    ],
)
def test_out_of_range_knobs_are_refused_with_the_knob_named(knobs):
    with pytest.raises(ConfigError, match=next(iter(knobs))):
        Sandbox(**knobs)
