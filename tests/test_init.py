"""The package's public surface: __all__ is explicit and every name resolves."""

import subprocess
import sys

import omninb


def test_all_names_resolve():
    for name in omninb.__all__:
        assert getattr(omninb, name) is not None, name


def test_all_is_sorted_and_unique():
    assert list(omninb.__all__) == sorted(set(omninb.__all__))


def test_import_is_light():
    # The CLI and headless jobs must not pay for the views or the HTTP stack at import.
    code = "import sys, omninb; print(sorted(m for m in ('matplotlib','ipywidgets','aiohttp','requests','pandera') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_attribute_raises_attribute_error():
    try:
        omninb.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
