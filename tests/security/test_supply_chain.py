"""Supply chain (issue 11 §5), offline: every version locked in uv.lock is checked against the vendored advisory
snapshot (security/advisories/snapshot.json, PyPA Advisory Database); an affected version fails unless
security/advisories/allow.yaml accepts it with a reason and a date. The lock must match pyproject.toml."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "uv.lock"
ADVISORIES = ROOT / "security" / "advisories"


@cache
def snapshot() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ADVISORIES / "snapshot.json").read_text(encoding="utf-8"))
    return data


def policy() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ADVISORIES / "allow.yaml").read_text(encoding="utf-8"))
    return data


def locked(lock_text: str) -> list[tuple[str, str]]:
    """(name, version) of every package installed from a registry (not the project itself)."""
    return [(p["name"], p["version"]) for p in tomllib.loads(lock_text)["package"]
            if "registry" in p.get("source", {})]


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def affects(record: dict[str, Any], version: str) -> bool:
    """Whether an advisory record (OSV ECOSYSTEM ranges, or explicit versions) covers ``version``."""
    if record.get("withdrawn"):
        return False
    mine = _version(version)
    if mine is None:
        return version in record.get("versions", [])
    if "versions" in record:
        return any(_version(v) == mine for v in record["versions"])
    for events in record["ranges"]:
        inside = False
        for event in events:  # OSV lists a range's events in version order
            kind, text = next(iter(event.items()))
            bound = Version("0") if text == "0" else _version(text)
            if bound is None:
                continue
            if kind == "introduced" and mine >= bound:
                inside = True
            elif (kind == "fixed" and mine >= bound) or (kind == "last_affected" and mine > bound):
                inside = False
        if inside:
            return True
    return False


def findings(packages: list[tuple[str, str]]) -> list[tuple[str, str, dict[str, Any]]]:
    by_package: dict[str, list[dict[str, Any]]] = {}
    for record in snapshot()["advisories"]:
        by_package.setdefault(record["package"], []).append(record)
    return [(name, version, record) for name, version in packages for record in by_package.get(name, [])
            if affects(record, version)]


def test_no_locked_version_has_an_unaccepted_advisory() -> None:
    allowed = {(entry["package"], entry["id"]) for entry in policy()["allow"] or []}
    found = [f"{name} {version}: {record['id']} ({', '.join(record['aliases'])}) fixed in "
             f"{', '.join(record['fixed']) or 'no release'} — {record['summary']}"
             for name, version, record in findings(locked(LOCK.read_text(encoding="utf-8")))
             if (name, record["id"]) not in allowed]
    assert not found, "upgrade (uv lock --upgrade-package NAME) or accept in allow.yaml:\n" + "\n".join(found)


def test_accepted_advisories_are_justified_dated_and_still_current() -> None:
    current = {(name, record["id"]) for name, _, record in findings(locked(LOCK.read_text(encoding="utf-8")))}
    for entry in policy()["allow"] or []:
        assert str(entry.get("reason", "")).strip(), f"allow.yaml: {entry} needs a reason"
        assert isinstance(entry.get("date"), date) and entry["date"] <= datetime.now(UTC).date(), \
            f"allow.yaml: {entry} needs the date (YYYY-MM-DD) it was accepted"
        assert (entry["package"], entry["id"]) in current, f"allow.yaml: {entry['id']} no longer applies; remove it"


def test_the_audit_flags_a_vulnerable_version_and_passes_its_fix() -> None:
    """The check can fail: Jinja2 2.11.2 has the urlize ReDoS (PYSEC-2021-66, fixed in 2.11.3)."""
    lock = ('version = 1\n[[package]]\nname = "jinja2"\nversion = "{}"\n'
            'source = {{ registry = "https://pypi.org/simple" }}\n'
            '[[package]]\nname = "countyzero"\nversion = "0.1.0"\nsource = {{ editable = "." }}\n')
    assert "PYSEC-2021-66" in {record["id"] for _, _, record in findings(locked(lock.format("2.11.2")))}
    assert "PYSEC-2021-66" not in {record["id"] for _, _, record in findings(locked(lock.format("2.11.3")))}
    assert locked(lock.format("2.11.2")) == [("jinja2", "2.11.2")]
    ranges = {"id": "X", "ranges": [[{"introduced": "1.0"}, {"last_affected": "1.2"}]]}
    assert [affects(ranges, v) for v in ("0.9", "1.0", "1.2", "1.2.1")] == [False, True, True, False]


def test_lock_matches_pyproject() -> None:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv not on PATH (make install puts it there)")
    answer = subprocess.run([uv, "lock", "--check", "--offline"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert answer.returncode == 0, answer.stderr


def test_snapshot_is_recent() -> None:
    """A stale snapshot is reported (skipped with its age), not failed; a malformed or future date fails."""
    as_of = datetime.fromisoformat(snapshot()["advisories_as_of"].replace("Z", "+00:00"))
    age = (datetime.now(UTC) - as_of).days
    assert age >= 0, f"snapshot dated in the future: {as_of}"
    assert snapshot()["count"] == len(snapshot()["advisories"]) > 0
    if age > policy()["max_age_days"]:
        pytest.skip(f"STALE advisory snapshot: {age} days old (limit {policy()['max_age_days']}); "
                    "run `make audit-refresh` where GitHub is reachable")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=2, max_size=2, unique=True), st.integers(0, 30))
def test_a_range_covers_exactly_from_introduced_to_before_fixed(bounds: list[int], probe: int) -> None:
    low, high = sorted(bounds)
    record = {"id": "X", "ranges": [[{"introduced": f"1.{low}"}, {"fixed": f"1.{high}"}]]}
    assert affects(record, f"1.{probe}") == (low <= probe < high)
    assert not affects({**record, "withdrawn": "2024-01-01"}, f"1.{low}")
