"""Real ASGI server processes (daphne) on the test database, for browser and
cross-process tests. Each runs `aladdin.asgi:application` exactly as in production."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.error import URLError
from urllib.parse import quote
from urllib.request import urlopen

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = [sys.executable, "-m", "daphne", "-b", "127.0.0.1"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url_for_tests() -> str:
    """The database the tests write to, as DATABASE_URL for another process."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


SERVER_DATA = ROOT / "var" / "test-server"
_collected: list[bool] = []


def collect_static(env: Mapping[str, str]) -> None:
    """Static files as production serves them (whitenoise from STATIC_ROOT), once a run."""
    if not _collected:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=dict(env),
            check=True,
        )
        _collected.append(True)


class Server:
    """`daphne aladdin.asgi:application` on a free loopback port."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "CELERY_"))}
        base.update(
            DATABASE_URL=database_url_for_tests(),
            SECRET_KEY=settings.SECRET_KEY,  # sessions made by the tests stay valid
            DEBUG="false",
            ALADDIN_HTTPS="false",  # plain HTTP on loopback
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
            ALADDIN_DATA_DIR=str(SERVER_DATA),
        )
        base.update(env or {})
        collect_static(base)
        self.log = ROOT / "var" / f"server-{self.port}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [*DAPHNE, "-p", str(self.port), "aladdin.asgi:application"],
                cwd=ROOT,
                env=base,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_until_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                with urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (URLError, OSError):
                time.sleep(0.2)
        raise TimeoutError(f"server not ready: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
