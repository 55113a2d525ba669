"""The ``omninb`` command line: parser registry and the foreground sandbox."""

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from omninb import cli

ROOT = Path(__file__).resolve().parents[1]


def _start(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "omninb.cli", "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines = []
    while not lines or not lines[-1].startswith("Press Ctrl-C"):
        line = proc.stdout.readline()
        if not line:
            proc.kill()
            pytest.fail("sandbox exited early: " + proc.stderr.read())
        lines.append(line.rstrip("\n"))
    return proc, lines


def _field(lines, name):
    return next(line.split()[-1] for line in lines if line.strip().startswith(name))


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_sandbox_command_serves_the_credentials_it_prints_until_stopped(tmp_path, stop):
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("productId,name\n4556,Shoe\n")
    proc, lines = _start("--catalog", str(catalog), "--rate-limit", "none")
    try:
        url = lines[0].split()[-1]
        assert url.startswith("http://127.0.0.1:")
        form = {
            "grant_type": "client_credentials",
            "client_id": _field(lines, "client_id"),
            "client_secret": _field(lines, "client_secret"),
        }
        answer = requests.post(url + "/omnichannel/api/v1/oauth2/token", data=form, timeout=10)
        assert answer.status_code == 200
        assert "rate_limit=None" in "\n".join(lines)
    finally:
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "stopped" in out


def test_fixed_credentials_are_used():
    proc, lines = _start("--client-id", "cid", "--client-secret", "sec", "--api-key", "12345")
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=20)
    assert (_field(lines, "client_id"), _field(lines, "api_key")) == ("cid", "12345")


def test_partial_credentials_are_an_error(capsys):
    assert cli.main(["sandbox", "--port", "0", "--client-id", "cid"]) == 1
    assert "--client-secret and --api-key together" in capsys.readouterr().err


def test_bad_knob_is_reported_without_a_traceback(capsys):
    assert cli.main(["sandbox", "--port", "0", "--error-rate", "2"]) == 1
    assert "error_rate must be between 0 and 1" in capsys.readouterr().err


def test_missing_catalog_is_reported(capsys, tmp_path):
    assert cli.main(["sandbox", "--port", "0", "--catalog", str(tmp_path / "nope.csv")]) == 1
    assert "cannot read catalog" in capsys.readouterr().err


def test_rate_limit_accepts_none_and_rejects_words():
    parser = cli.build_parser()
    assert parser.parse_args(["sandbox", "--rate-limit", "none"]).rate_limit is None
    assert parser.parse_args(["sandbox", "--rate-limit", "250"]).rate_limit == 250
    with pytest.raises(SystemExit):
        parser.parse_args(["sandbox", "--rate-limit", "fast"])


def test_no_command_prints_help_and_returns_2(capsys):
    assert cli.main([]) == 2
    assert "sandbox" in capsys.readouterr().err


def test_each_registered_adder_adds_one_runnable_subcommand():
    commands = argparse.ArgumentParser().add_subparsers()
    for add in cli.COMMANDS:
        before = set(commands.choices)
        add(commands)
        [name] = set(commands.choices) - before
        assert callable(commands.choices[name].get_default("run")), name
