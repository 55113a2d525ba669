"""Shared pytest fixtures (append-only: add yours at the end, never rewrite others')."""

import pytest


@pytest.fixture
def sandbox():
    """A fresh omninb.Sandbox (default knobs, no catalog) per test, closed afterwards.

    For other knobs, build your own: ``with omninb.Sandbox(rate_limit=None, ...) as sb``.
    """
    from omninb.sandbox import Sandbox

    with Sandbox() as sb:
        yield sb
