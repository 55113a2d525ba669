"""Chaos soak at suite size: bench/soak.py's scenario with 2,000 orders at the API's real 100/s.

5xx, 429 (the sandbox allows 100/s, the client sends 110/s), connection drops
before and after storing, 2-second tokens, and ``omninb push`` SIGKILLed three
times and resumed. Nothing may be lost; every order stored twice must belong to
a request the journal marks uncertain.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from soak import Soak, run_soak

pytestmark = pytest.mark.slow

SOAK = Soak(orders=2_000, server_rate=100, client_rate=110, error_rate=0.08, seed=5)


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    return run_soak(SOAK, tmp_path_factory.mktemp("soak"))


def test_the_process_was_killed_three_times_and_finished_on_resume(figures):
    assert figures.kills == 3 and figures.exit_codes[-1] == 0


def test_no_order_is_lost(figures):
    assert figures.lost == 0


def test_every_order_stored_twice_was_marked_uncertain(figures):
    assert figures.stored_twice_not_uncertain == 0
    assert figures.stored_twice <= figures.uncertain_orders


def test_faults_really_happened(figures):
    assert figures.retries > 0  # 5xx, 429 and drops were retried
    assert figures.uncertain_orders > 0  # kills and drops after storing left uncertain requests
    assert figures.tokens_issued >= 5  # 2-second tokens over a push of 20 s and more
