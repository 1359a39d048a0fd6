#!/usr/bin/env python3
"""Developer entry point, standard library only: `python3 dev.py serve` and `python3 dev.py test`.

Both commands first make sure that `.venv/` exists and holds this project installed in editable
mode: `serve` needs the runtime only, `test` and `lint` add the test extras (pytest, ruff...); the
install is redone only when pyproject.toml (or the Python version) changed since the last one, or
when the extras are needed and not installed yet. Then:

  serve [ARGS...]   runs `bemserver serve ARGS` (embedded PostgreSQL unless BEMSERVER_DATABASE_URL is set)
  test [ARGS...]    runs the whole pytest suite on two workers; ARGS go to pytest
  lint              runs `ruff check` and `ruff format --check` on src/ and tests/
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".bemserver-install"
MINIMUM = (3, 11)


def say(message: str) -> None:
    sys.stderr.write(f"dev.py: {message}\n")
    sys.stderr.flush()


def run(*command: str | Path) -> None:
    result = subprocess.run([str(part) for part in command], cwd=ROOT)
    if result.returncode:
        say(f"command failed ({result.returncode}): {' '.join(str(part) for part in command)}")
        sys.exit(result.returncode)


def fingerprint() -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def ensure_environment(with_tests: bool = True) -> None:
    if sys.version_info < MINIMUM:
        say(f"Python {'.'.join(map(str, MINIMUM))} or later is needed (this is {sys.version.split()[0]})")
        sys.exit(2)
    if not PYTHON.exists():
        say(f"creating the virtual environment in {VENV}")
        try:
            import venv  # noqa: F401
        except ImportError:
            say("the venv module is missing: install it (e.g. apt-get install python3-venv)")
            sys.exit(2)
        run(sys.executable, "-m", "venv", VENV)
    expected = fingerprint()
    installed = STAMP.read_text().split() if STAMP.exists() else []
    if installed[:1] == [expected] and (not with_tests or "test" in installed[1:]):
        return
    if with_tests:
        say("installing the project and its test dependencies (pyproject.toml changed or first run)")
        target, level = ".[test]", "test"
    else:
        say("installing the project (pyproject.toml changed or first run)")
        target, level = ".", "runtime"
    run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target)
    STAMP.write_text(f"{expected} {level}\n")


def serve(args: list[str]) -> None:
    command = [str(BIN / "bemserver"), "serve", *args]
    os.execv(command[0], command)


def test(args: list[str]) -> None:
    # Two workers on two cores; each worker gets its own database (tests/conftest.py). loadgroup
    # keeps tests marked xdist_group("x") on one worker (the CLI tests share a server per module).
    workers = [] if any(arg.startswith("-n") for arg in args) else ["-n", "2", "--dist", "loadgroup"]
    command = [str(PYTHON), "-m", "pytest", *workers, *args]
    os.chdir(ROOT)
    os.execv(command[0], command)


def lint(_: list[str]) -> None:
    run(BIN / "ruff", "check", "src", "tests", "dev.py")
    run(BIN / "ruff", "format", "--check", "src", "tests", "dev.py")


COMMANDS = {"serve": serve, "test": test, "lint": lint}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.stderr.write(__doc__.strip() + "\n")
        sys.exit(2)
    ensure_environment(with_tests=sys.argv[1] != "serve")
    COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
