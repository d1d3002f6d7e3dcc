"""`countyzero serve` as a real process on a temporary SQLite database, to kill with SIGKILL and restart.

Reusable for any write path (imports here; ledger transfers next)::

    server = Server(tmp_path)            # database made and users created by the admin CLI
    server.start()                       # waits for /api/v1/health
    done = write_until_killed(server, attempt)   # concurrent writes; SIGKILL once some are acknowledged
    server.start()                       # restart on the same database
    ...check the database...

``attempt(client, number)`` makes one write and returns what the client was told was stored (an id), or None
when the server refused it; a connection error (the kill) ends that worker.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

PASSWORD = "sigkill test password"
ANALYST = "analyst@baoting.cn"
ORGANISATION = "Baoting County"
START_SECONDS = 60  # a cold start imports every engine; generous for a loaded CI machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def countyzero() -> list[str]:
    """The installed ``countyzero`` command of this interpreter's environment."""
    script = Path(sys.executable).with_name("countyzero")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from countyzero.cli import main; main()"]


class Server:
    """One platform process at a time on ``folder/cz.db``, reachable at :attr:`url`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.database = folder / "cz.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "COUNTYZERO_DATABASE_URL": f"sqlite:///{self.database}",
                    "COUNTYZERO_ENVIRONMENT": "test", "COUNTYZERO_SECRET_KEY": "sigkill-test-secret-" + "k" * 20,
                    "COUNTYZERO_LOGIN_DELAY_SECONDS": "0", "XDG_DATA_HOME": str(folder), "NO_COLOR": "1"}
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.cli("admin", "create-org", ORGANISATION)  # migrates the new database first
        self.add_user(ANALYST, "analyst")

    def add_user(self, email: str, role: str) -> None:
        """A user of the organisation (password :data:`PASSWORD`), made by the admin CLI."""
        self.cli("admin", "create-user", email, "--org", ORGANISATION, "--role", role, stdin=PASSWORD + "\n")

    def cli(self, *args: str, stdin: str = "", check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``countyzero ARGS`` on the server's database."""
        done = subprocess.run([*countyzero(), *args], env=self.env, input=stdin, capture_output=True, text=True,
                              timeout=120, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"countyzero {' '.join(args)} exited {done.returncode}: {done.stderr}")
        return done

    def start(self) -> None:
        """Start ``countyzero serve`` and wait until /api/v1/health answers."""
        assert self.process is None, "already running"
        self.starts += 1
        log = (self.folder / f"server-{self.starts}.log").open("wb")
        self.process = subprocess.Popen([*countyzero(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                                        env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited {self.process.returncode}: "
                                     + (self.folder / f"server-{self.starts}.log").read_text())
            try:
                if httpx2.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"server did not answer /api/v1/health within {START_SECONDS} s")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, no rollback runs."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
            self.process = None

    def token(self, email: str = ANALYST) -> dict[str, str]:
        response = httpx2.post(f"{self.url}/api/v1/auth/token", data={"username": email, "password": PASSWORD},
                               timeout=30)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def page_client(self, email: str = ANALYST) -> tuple[httpx2.Client, str]:
        """A client logged in to the pages, and its CSRF token."""
        import re

        client = httpx2.Client(base_url=self.url, timeout=30)
        found = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert found
        response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf": found.group(1)})
        assert response.status_code == 303, response.text
        found = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text)
        assert found
        return client, found.group(1)


@contextmanager
def running(folder: Path) -> Iterator[Server]:
    """A started :class:`Server`, killed at the end whatever happens."""
    server = Server(folder)
    try:
        server.start()
        yield server
    finally:
        server.kill()


@dataclass
class Outcome:
    acknowledged: list[Any] = field(default_factory=list)  # what the clients were told was stored
    refused: int = 0  # answered, but not stored (e.g. 503 while the database was locked)
    interrupted: int = 0  # requests in flight when the server died


def write_until_killed(server: Server, attempts: list[Callable[[int], Any]], *, kill_after: int,
                       limit: int = 1000) -> Outcome:
    """Run each of ``attempts`` in its own thread, over and over, and SIGKILL the server once ``kill_after``
    writes were acknowledged — the other threads are mid-request then. Returns what the clients saw."""
    outcome = Outcome()
    lock = threading.Lock()
    enough = threading.Event()
    errors: list[BaseException] = []

    def worker(attempt: Callable[[int], Any]) -> None:
        for number in range(limit):
            try:
                result = attempt(number)
            except httpx2.TransportError:
                with lock:
                    outcome.interrupted += 1
                return
            except BaseException as exc:  # an assertion in ``attempt``: reported by the caller
                errors.append(exc)
                enough.set()
                return
            with lock:
                if result is None:
                    outcome.refused += 1
                else:
                    outcome.acknowledged.append(result)
                if len(outcome.acknowledged) >= kill_after:
                    enough.set()

    threads = [threading.Thread(target=worker, args=(attempt,), daemon=True) for attempt in attempts]
    for thread in threads:
        thread.start()
    enough.wait(timeout=120)
    server.kill()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return outcome
