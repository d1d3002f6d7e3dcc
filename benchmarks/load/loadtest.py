"""Load test of the web platform on loopback (``make loadtest``); writes its figures into docs/reliability.md.

It starts ``countyzero serve`` on 127.0.0.1 and a free port with a new SQLite database loaded by ``countyzero
demo-load``, logs the demo analyst in (one page session, one API token, shared by the simulated users), and runs
steps of increasing concurrency over three mixes:

- ``pages``: the dashboard and section pages, logged in (/, /buildings, /finance, /roadmap, /inventories/1);
- ``api``: API reads with a bearer token (lists, one stored inventory, one factor);
- ``upload``: ``POST /api/v1/buildings/assessments`` with the Baoting clinic's bill of quantities.

Each simulated user is a closed loop: request, wait for the answer, think for a random time (uniform between
0.5 and 1.5 × ``--think``), repeat. A step ends after ``--seconds`` or ``--max-requests`` requests, whichever
comes first. Afterwards the server is stopped and the database checked: the audit chain verifies, SQLite's
integrity check passes, and the stored building assessments are exactly the uploads that answered 201.

    .venv/bin/python benchmarks/load/loadtest.py [--users 10,25,50,100,200] [--seconds 10] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- loadtest:begin -->", "<!-- loadtest:end -->"
PASSWORD = "baoting-demo-2040"  # the password demo-load gives its users
ANALYST = "analyst@baoting.demo"
BOQ = ROOT / "examples" / "baoting" / "buildings" / "clinic_boq.yaml"
TARGET = {"mix": "pages", "users": 50, "p95_ms": 300.0}  # issue 11: dashboard p95 < 300 ms at 50 users, no errors

PAGES = ["/", "/buildings", "/finance", "/roadmap", "/inventories/1"]
API = ["/api/v1/inventories", "/api/v1/inventories/1", "/api/v1/buildings/assessments",
       "/api/v1/finance/screenings", "/api/v1/factors/gbt51366.e.road_diesel_light_2t"]


@dataclass
class Step:
    mix: str
    users: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)  # requests without an answer, by exception

    def record(self, status: int, latency: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies.append(latency)

    @property
    def requests(self) -> int:
        return len(self.latencies)

    def ok(self) -> int:
        return sum(n for code, n in self.statuses.items() if code in (200, 201))

    def refused(self) -> int:
        return self.statuses.get(503, 0)

    def errors(self) -> int:
        """Answers that are neither success nor a graceful 503 (0 = no answer: timeout or connection error)."""
        return self.requests - self.ok() - self.refused()

    def percentile(self, q: float) -> float:
        """Latency percentile in ms over every answered request (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(env: dict[str, str], port: int, workers: int) -> Iterator[str]:
    countyzero = str(Path(sys.executable).with_name("countyzero"))
    subprocess.run([countyzero, "demo-load"], env=env, check=True, capture_output=True)
    process = subprocess.Popen([countyzero, "serve", "--host", "127.0.0.1", "--port", str(port),
                                "--workers", str(workers)], env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.3)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def log_in(base: str) -> tuple[dict[str, str], dict[str, str]]:
    """A logged-in page session's cookies and an API token header for the demo analyst."""
    with httpx.Client(base_url=base, timeout=30) as client:
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert csrf, "no CSRF token on /login"
        answer = client.post("/login", data={"email": ANALYST, "password": PASSWORD, "csrf": csrf.group(1)})
        assert answer.status_code == 303, answer.status_code
        assert client.get("/").status_code == 200
        cookies = dict(client.cookies.items())
        token = client.post("/api/v1/auth/token", data={"username": ANALYST, "password": PASSWORD})
        assert token.status_code == 200, token.text
    return cookies, {"Authorization": f"Bearer {token.json()['access_token']}"}


async def run_step(base: str, step: Step, *, seconds: float, max_requests: int, think: float, timeout: float,
                   cookies: dict[str, str], headers: dict[str, str], boq: dict[str, Any], seed: int) -> None:
    limits = httpx.Limits(max_connections=step.users, max_keepalive_connections=step.users)
    budget = [max_requests]
    async with httpx.AsyncClient(base_url=base, cookies=cookies, headers=headers, timeout=timeout,
                                 limits=limits) as client:
        start = time.monotonic()
        deadline = start + seconds

        async def user(number: int) -> None:
            rng = random.Random(seed * 1000 + number)
            paths = PAGES if step.mix == "pages" else API
            await asyncio.sleep(rng.uniform(0, think))  # users arrive spread over one think time
            i = number
            while time.monotonic() < deadline and budget[0] > 0:
                budget[0] -= 1
                began = time.monotonic()
                try:
                    if step.mix == "upload":
                        answer = await client.post("/api/v1/buildings/assessments", json=boq)
                    else:
                        answer = await client.get(paths[i % len(paths)])
                    status = answer.status_code
                except httpx.HTTPError as exc:
                    status = 0
                    step.failures[type(exc).__name__] = step.failures.get(type(exc).__name__, 0) + 1
                step.record(status, time.monotonic() - began)
                i += 1
                await asyncio.sleep(min(rng.uniform(0.5 * think, 1.5 * think), max(0.0, deadline - time.monotonic())))

        await asyncio.gather(*(user(n) for n in range(step.users)))
        step.seconds = time.monotonic() - start


def consistency(database: Path, uploads_created: int, before: int = 0) -> dict[str, Any]:
    """Whether the database holds exactly the uploads the clients were told about (``before``: the building
    assessments there before the run, e.g. demo-load's), each audited, with the chain and the file intact."""
    from sqlalchemy import func, select, text

    from countyzero.services import audit
    from countyzero.store.db import make_engine, session_factory
    from countyzero.store.models import Assessment, AuditEntry

    engine = make_engine(f"sqlite:///{database}")
    with session_factory(engine)() as session:
        stored = int(session.scalar(select(func.count()).select_from(Assessment).where(
            Assessment.kind == "building")) or 0)
        audited = int(session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "assess", AuditEntry.entity == "building")) or 0)
        problems = audit.verify_chain(session)
        entries = audit.count(session)
        integrity = str(session.execute(text("PRAGMA integrity_check")).scalar())
    engine.dispose()
    return {"uploads_201": uploads_created, "stored_buildings": stored - before, "audited_buildings": audited - before,
            "audit_entries": entries, "audit_problems": problems, "integrity_check": integrity,
            "consistent": stored - before == uploads_created == audited - before and not problems
            and integrity == "ok"}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        ram = f", {kib / 2**20:.0f} GiB RAM"
    return (f"{cpu}, {os.cpu_count()} cores{ram}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def report(steps: list[Step], check: dict[str, Any], args: argparse.Namespace, command: str,
           load: tuple[float, float]) -> str:
    rows = ["| mix | users | requests | seconds | throughput (req/s) | p50 ms | p95 ms | p99 ms | errors | "
            "error rate | 503s |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in steps:
        other = ", ".join([f"{n}×{code}" for code, n in sorted(s.statuses.items()) if code not in (0, 200, 201, 503)]
                          + [f"{n}× no answer ({name})" for name, n in sorted(s.failures.items())])
        rows.append(f"| {s.mix} | {s.users} | {s.requests} | {s.seconds:.1f} | {s.requests / s.seconds:.1f} | "
                    f"{s.percentile(50):.0f} | {s.percentile(95):.0f} | {s.percentile(99):.0f} | "
                    f"{s.errors()}{f' ({other})' if other else ''} | {s.errors() / max(1, s.requests):.2%} | "
                    f"{s.refused()} |")
    target = next((s for s in steps if s.mix == TARGET["mix"] and s.users == TARGET["users"]), None)
    if target is None:
        verdict = f"not measured (no {TARGET['mix']} step with {TARGET['users']} users)"
    else:
        met = target.percentile(95) < TARGET["p95_ms"] and target.errors() == 0 and target.refused() == 0
        verdict = (f"**{'met' if met else 'NOT met'}**: p95 {target.percentile(95):.0f} ms (target < "
                   f"{TARGET['p95_ms']:.0f} ms), {target.errors()} errors, {target.refused()} 503s")
    worst = max(steps, key=lambda s: s.users)
    unanswered = sum(s.statuses.get(0, 0) for s in steps if s.users == worst.users)
    server_errors = sum(n for s in steps if s.users == worst.users for code, n in s.statuses.items() if code >= 500
                        and code != 503)
    graceful = (f"at {worst.users} users: {sum(s.refused() for s in steps if s.users == worst.users)} 503s, "
                f"{server_errors} other 5xx, {unanswered} requests without an answer")
    return "\n".join([
        BEGIN,
        f"**Date:** {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — **machine:** {machine()} — **server:** "
        f"`countyzero serve --workers {args.workers}` (uvicorn), SQLite (WAL), settings "
        f"max_in_flight={args.max_in_flight}, queue_seconds={args.queue_seconds} — the load generator runs on the "
        f"same cores, shared with other work: load average (1 min) {load[0]:.1f} before and {load[1]:.1f} after.",
        "",
        f"**Command:** `{command}` — each step at most {args.seconds:g} s and {args.max_requests} requests; "
        f"think time uniform {0.5 * args.think:g}–{1.5 * args.think:g} s; client timeout {args.timeout:g} s.",
        "",
        *rows,
        "",
        f"- **Target** (dashboard pages, {TARGET['users']} users, p95 < {TARGET['p95_ms']:.0f} ms, zero errors): "
        f"{verdict}.",
        f"- **Beyond capacity** ({graceful}): "
        f"{'graceful' if server_errors == 0 and unanswered == 0 else 'NOT graceful'}.",
        f"- **Consistency after the run**: {check['uploads_201']} uploads answered 201; {check['stored_buildings']} "
        f"building assessments stored and {check['audited_buildings']} audited; audit chain of "
        f"{check['audit_entries']} entries {'verifies' if not check['audit_problems'] else 'BROKEN'}; "
        f"SQLite integrity check: {check['integrity_check']} — "
        f"**{'consistent' if check['consistent'] else 'INCONSISTENT'}**.",
        END,
    ])


def write_doc(section: str) -> None:
    from countyzero.core.io import write_files

    text = DOC.read_text(encoding="utf-8") if DOC.exists() else f"# Reliability\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{DOC} lacks the markers {BEGIN} … {END}")
    head, rest = text.split(BEGIN, 1)
    write_files({DOC: head + section + rest.split(END, 1)[1]})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", default="10,25,50,100,200", help="concurrency of the steps, comma-separated")
    parser.add_argument("--mixes", default="pages,api,upload")
    parser.add_argument("--seconds", type=float, default=10.0, help="longest duration of a step")
    parser.add_argument("--max-requests", type=int, default=5000, help="most requests in a step")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time of a user (s)")
    parser.add_argument("--timeout", type=float, default=30.0, help="client timeout (s); none answered = error")
    parser.add_argument("--workers", type=int, help="server processes (default: the setting's, COUNTYZERO_WORKERS)")
    parser.add_argument("--max-in-flight", type=int, help="COUNTYZERO_MAX_IN_FLIGHT (default: the setting's)")
    parser.add_argument("--queue-seconds", type=float, help="COUNTYZERO_QUEUE_SECONDS (default: the setting's)")
    parser.add_argument("--no-doc", action="store_true", help="print the figures only")
    args = parser.parse_args()
    from countyzero.settings import Settings

    settings = Settings()
    args.workers = args.workers or settings.workers
    args.max_in_flight = args.max_in_flight or settings.max_in_flight
    args.queue_seconds = args.queue_seconds if args.queue_seconds is not None else settings.queue_seconds
    command = "make loadtest" if os.environ.get("MAKELEVEL") else shlex.join(["python", *sys.argv])
    boq = json.loads(json.dumps(yaml.safe_load(BOQ.read_text(encoding="utf-8")), default=str))
    steps: list[Step] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="countyzero-load-") as folder:
        database = Path(folder) / "load.db"
        env = {**os.environ, "COUNTYZERO_DATABASE_URL": f"sqlite:///{database}", "COUNTYZERO_ENVIRONMENT":
               "development", "COUNTYZERO_SECRET_KEY": secrets.token_urlsafe(32), "COUNTYZERO_MAX_IN_FLIGHT":
               str(args.max_in_flight), "COUNTYZERO_QUEUE_SECONDS": str(args.queue_seconds)}
        with server(env, free_port(), args.workers) as base:
            demo_buildings = consistency(database, 0)["stored_buildings"]  # demo-load's own, before the run
            cookies, headers = log_in(base)
            warm = Step("warm-up", 4)
            for mix in args.mixes.split(","):
                warm.mix = mix
                asyncio.run(run_step(base, warm, seconds=2, max_requests=40, think=0.05, timeout=args.timeout,
                                     cookies=cookies, headers=headers, boq=boq, seed=0))
            created = warm.statuses.get(201, 0)
            for mix in args.mixes.split(","):
                for users in (int(u) for u in args.users.split(",")):
                    step = Step(mix, users)
                    asyncio.run(run_step(base, step, seconds=args.seconds, max_requests=args.max_requests,
                                         think=args.think, timeout=args.timeout, cookies=cookies, headers=headers,
                                         boq=boq, seed=users))
                    steps.append(step)
                    created += step.statuses.get(201, 0)
                    print(f"{mix:7} {users:4} users: {step.requests:5} requests, "
                          f"{step.requests / step.seconds:6.1f}/s, p50 {step.percentile(50):6.0f} ms, "
                          f"p95 {step.percentile(95):6.0f} ms, p99 {step.percentile(99):6.0f} ms, "
                          f"errors {step.errors()}, 503 {step.refused()}  {dict(sorted(step.statuses.items()))} "
                          f"{step.failures or ''}",
                          flush=True)
        check = consistency(database, created, demo_buildings)
    print(json.dumps(check))
    section = report(steps, check, args, command, (load_before, os.getloadavg()[0]))
    if not args.no_doc:
        write_doc(section)
        print(f"figures written to {DOC.relative_to(ROOT)}")
    else:
        print(section)
    return 0 if check["consistent"] else 1


if __name__ == "__main__":
    sys.exit(main())
