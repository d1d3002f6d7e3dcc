"""Benchmark of the county dashboard under concurrent users (issue 8): the demo data of ``countyzero demo-load``
(every page's Baoting example, the roadmap with ``--draws`` Monte Carlo draws) in a fresh SQLite database,
served by uvicorn on 127.0.0.1 (a free port); ``--users`` threads each request ``/`` ``--requests`` times with
one logged-in session. The login's redirect to the dashboard draws the charts (reported apart); the timed
requests read the chart cache.

Run ``.venv/bin/python benchmarks/bench_dashboard.py [--users 50] [--requests 10] [--draws 200]``; prints JSON.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import platform
import re
import socket
import statistics
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from countyzero.cli import DEMO_ORG, DEMO_USERS, demo_items
from countyzero.services import accounts, assessments
from countyzero.settings import Settings
from countyzero.store.db import transaction
from countyzero.web.app import create_app

PASSWORD = "benchmark-password-2040"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--draws", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings(environment="test", database_url=f"sqlite:///{Path(folder) / 'bench.db'}",
                                  login_delay_seconds=0, secret_key="benchmark-" + "k" * 30))
        with transaction(app.state.sessions) as session:
            accounts.create_organisation(session, DEMO_ORG)
            accounts.create_user(session, DEMO_USERS[0][0], PASSWORD, organisation=DEMO_ORG, role="county_admin")
            who = accounts.authenticate(session, DEMO_USERS[0][0], PASSWORD)
            for kind, name, data in demo_items(args.draws):
                assessments.create(session, who, kind, name, data)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login_page = opener.open(base + "/login").read().decode()
        match = re.search(r'name="csrf" value="([^"]+)"', login_page)
        assert match
        form = {"email": DEMO_USERS[0][0], "password": PASSWORD, "csrf": match.group(1)}
        start = time.perf_counter()  # the login redirects to the dashboard, which draws the charts
        opener.open(urllib.request.Request(base + "/login", data=urllib.parse.urlencode(form).encode()))
        first = time.perf_counter() - start
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)

        def dashboard() -> tuple[float, int]:
            start = time.perf_counter()
            with urllib.request.urlopen(urllib.request.Request(base + "/", headers={"Cookie": cookie})) as reply:
                body = reply.read()
                assert reply.status == 200 and b"roadmap-trajectories" in body
            return time.perf_counter() - start, len(body)

        size = dashboard()[1]

        def user(_: int) -> list[float]:
            return [dashboard()[0] for _ in range(args.requests)]

        start = time.perf_counter()
        with ThreadPoolExecutor(args.users) as pool:
            times = sorted(t for batch in pool.map(user, range(args.users)) for t in batch)
        wall = time.perf_counter() - start
        server.should_exit = True
    print(json.dumps({
        "benchmark": "dashboard", "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.platform(), "users": args.users, "requests_per_user": args.requests,
        "login_and_first_dashboard_s": round(first, 3), "page_bytes": size, "wall_s": round(wall, 2),
        "requests_per_s": round(len(times) / wall, 1), "median_ms": round(1000 * statistics.median(times), 1),
        "p95_ms": round(1000 * times[int(0.95 * (len(times) - 1))], 1)}, indent=1))


if __name__ == "__main__":
    main()
