#!/usr/bin/env python3
"""Set up a virtual environment in .venv and run the example project or the test suite.

    python3 scripts/dev.py demo [ADDRESS:PORT]   # example project on http://127.0.0.1:8000/
    python3 scripts/dev.py test [PYTEST ARGS]    # the whole test suite

Needs only Python 3.10+ and git. The environment is created once and updated
when pyproject.toml changes.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".shoutout-installed"


def run(*args, **kwargs):
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=REPO, **kwargs)


def ensure_venv(extras: str):
    """Create .venv and install the project with ``extras`` unless that is done already."""
    if sys.version_info < (3, 10):
        sys.exit(f"ShoutOut needs Python 3.10 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV}", flush=True)
        venv.create(VENV, with_pip=True)

    wanted = hashlib.sha256((REPO / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extras}]" if extras else "."
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", target)
    STAMP.write_text(wanted)


def demo(args):
    ensure_venv("")
    address = args[0] if args else "127.0.0.1:8000"
    run(PYTHON, "manage.py", "migrate", "--noinput")
    print(f"\nOpen http://{address}/ and click a demo login button.\n", flush=True)
    run(PYTHON, "manage.py", "runserver", address)


def test(args):
    ensure_venv("test")
    result = subprocess.run([str(PYTHON), "-m", "pytest", *args], cwd=REPO)
    sys.exit(result.returncode)


def main():
    commands = {"demo": demo, "test": test}
    if len(sys.argv) == 2 and sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    try:
        commands[sys.argv[1]](sys.argv[2:])
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
