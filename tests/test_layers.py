"""Imports go one way (errors → auth → client → push/status → accessor/cli → views).

Read from the source with ast, so a new import that breaks the layering, puts
network I/O outside the client, or loads a view library eagerly fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "omninb"

# Each module may import only from its own or earlier layers.
LAYERS: list[set[str]] = [
    {"errors", "fields", "reasons", "fingerprint", "throttle", "result"},
    {"pii", "retry", "pos", "batching", "journal", "answers"},
    {"config", "checks", "auth"},
    {"schemas"},
    {"payloads"},
    {"client"},
    {"pushers"},
    {"push", "status", "reconcile"},
    {"pushfile"},
    {"accessor", "cli", "__init__"},
    {"charts"},
    {"outputs", "widgets"},
    {"demo"},  # the main job end to end: uses every layer, including the output files
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}
# The emulator stands in for a remote service: it shares vocabulary, never client code.
SANDBOX_MAY_USE = {"errors", "fields", "pii"}
HTTP_LIBRARIES = {"requests", "urllib3", "aiohttp", "httpx"}
HTTP_ALLOWED = {"client", "auth", "retry"}  # retry only classifies requests' exception types
VIEW_LIBRARIES = {"matplotlib", "ipywidgets"}
VIEWS = {"charts", "outputs", "widgets"}


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, imported at module level) for every import in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
            if node.module == "omninb":
                names = [f"omninb.{alias.name}" for alias in node.names]
            found += [(name, node.col_offset == 0) for name in names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, node.col_offset == 0) for alias in node.names]
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.glob("*.py"))


def test_every_module_has_a_layer():
    assert {p.stem for p in _modules()} <= set(RANK), "add the new module to LAYERS"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.stem)
def test_imports_go_one_way(path):
    me = RANK[path.stem]
    for name, _ in _imports(path):
        parts = name.split(".")
        if parts[0] != "omninb" or len(parts) < 2 or parts[1] == "sandbox":
            continue
        assert RANK[parts[1]] <= me, f"{path.stem} imports {parts[1]}, a later layer"


@pytest.mark.parametrize("path", sorted((PACKAGE / "sandbox").glob("*.py")), ids=lambda p: p.stem)
def test_sandbox_never_imports_client_code(path):
    for name, top in _imports(path):
        parts = name.split(".")
        if parts[0] != "omninb" or parts[1] == "sandbox":
            continue
        # Sandbox.client() hands the user a Client; only that lazy import is allowed.
        if path.stem == "server" and parts[1] == "client" and not top:
            continue
        assert parts[1] in SANDBOX_MAY_USE, f"sandbox/{path.stem} imports omninb.{parts[1]}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.stem)
def test_http_only_in_the_client_layer(path):
    for name, _ in _imports(path):
        if name.split(".")[0] in HTTP_LIBRARIES:
            assert path.stem in HTTP_ALLOWED, f"{path.stem} imports {name}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.stem)
def test_view_libraries_only_in_views_and_lazily(path):
    for name, top in _imports(path):
        if name.split(".")[0] in VIEW_LIBRARIES:
            assert path.stem in VIEWS, f"{path.stem} imports {name}"
            assert not top, f"{path.stem} imports {name} at module level"
