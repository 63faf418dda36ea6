"""Fixtures shared by the suite: real Redis, a real daphne server, real Chromium.

Under ``CI=true`` a missing Redis or Chromium fails the tests that need it;
elsewhere those tests are skipped with the reason.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
CHROMIUM = "/usr/bin/chromium"


def require(condition: bool, reason: str):
    """Skip the test when ``condition`` is false, or fail it under CI=true."""
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


def port_open(host, port) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url():
    require(port_open(REDIS_HOST, REDIS_PORT), f"no Redis answers on {REDIS_HOST}:{REDIS_PORT}")
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


@pytest.fixture(scope="session")
def chromium_path():
    require(Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM}")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """A daphne process serving the example project on a loopback port."""

    def __init__(self, workdir: Path, extra_env=None):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws/shoutout/"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "example_project.settings",
            "SHOUTOUT_EXAMPLE_DB": str(workdir / "db.sqlite3"),
            "SHOUTOUT_EXAMPLE_MEDIA": str(workdir / "media"),
            "PYTHONPATH": str(REPO),
            **(extra_env or {}),
        }
        self.log_path = workdir / "server.log"
        self.process = None

    def manage(self, *args, stdin=None):
        return subprocess.run(
            [sys.executable, str(REPO / "manage.py"), *args],
            env=self.env, cwd=REPO, input=stdin, capture_output=True, text=True, check=True,
        )

    def start(self):
        self.manage("migrate", "--noinput")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
             "example_project.asgi:application"],
            env=self.env, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while not port_open("127.0.0.1", self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"daphne did not start:\n{self.log_path.read_text()}")
            time.sleep(0.1)

    def create_user(self, username, password="pw", staff=False) -> str:
        """Create a user and return a DRF token for it."""
        script = (
            "from django.contrib.auth import get_user_model;"
            "from rest_framework.authtoken.models import Token;"
            f"u = get_user_model().objects.create_user({username!r}, password={password!r}, is_staff={staff!r});"
            "print(Token.objects.create(user=u).key)"
        )
        return self.manage("shell", "-c", script).stdout.strip().splitlines()[-1]

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if getattr(self, "log", None):
            self.log.close()


@pytest.fixture
def live_server(tmp_path):
    """Start daphne with the example project (in-memory layer and store) for one test."""
    server = LiveServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _live_server_helper():
    """Replace pytest-django's helper of the same name, which expects pytest-django's
    own ``live_server`` (it calls ``_live_server_modified_settings`` on it)."""
    yield


@pytest.fixture
def live_server_factory(tmp_path):
    """Start daphne processes with extra environment, for example a Redis URL."""
    servers = []

    def start(name="server", **extra_env):
        workdir = tmp_path / name
        workdir.mkdir()
        server = LiveServer(workdir, extra_env)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def alice(django_user_model):
    """A regular user with the password "pw"."""
    return django_user_model.objects.create_user("alice", password="pw")


@pytest.fixture
def bob(django_user_model):
    """A second regular user with the password "pw"."""
    return django_user_model.objects.create_user("bob", password="pw")


@pytest.fixture
def staff(django_user_model):
    """A staff user with the password "pw"."""
    return django_user_model.objects.create_user("staff", password="pw", is_staff=True)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Clear Django's cache, where DRF throttles count requests, between tests."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def fresh_store():
    """Give each test an empty in-memory store."""
    from shoutout.store import reset_store

    reset_store()
    yield
    reset_store()


def pytest_report_header(config):
    return [
        f"redis on {REDIS_HOST}:{REDIS_PORT}: {'yes' if port_open(REDIS_HOST, REDIS_PORT) else 'no'}",
        f"chromium at {CHROMIUM}: {'yes' if shutil.which(CHROMIUM) else 'no'}",
    ]
