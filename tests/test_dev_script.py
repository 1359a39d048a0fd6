"""dev.py installs the runtime for `serve`, the test extras for `test` and `lint`, once each."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def dev(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    python = tmp_path / "python"
    python.write_text("")
    monkeypatch.setattr(module, "PYTHON", python)
    monkeypatch.setattr(module, "STAMP", tmp_path / "stamp")
    monkeypatch.setattr(module, "say", lambda message: None)
    installs: list[str] = []
    monkeypatch.setattr(module, "run", lambda *command: installs.append(str(command[-1])))
    module.installs = installs
    return module


def test_serve_installs_the_runtime_only(dev):
    dev.ensure_environment(with_tests=False)
    assert dev.installs == ["."]
    dev.ensure_environment(with_tests=False)
    assert dev.installs == ["."]


def test_tests_add_the_extras_once_and_serve_needs_nothing_more(dev):
    dev.ensure_environment(with_tests=False)
    dev.ensure_environment(with_tests=True)
    dev.ensure_environment(with_tests=True)
    dev.ensure_environment(with_tests=False)
    assert dev.installs == [".", ".[test]"]
