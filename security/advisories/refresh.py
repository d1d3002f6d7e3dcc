"""Rebuild ``snapshot.json`` — the vendored advisory snapshot the offline dependency audit reads
(``tests/security/test_supply_chain.py``) — from the PyPA Advisory Database (OSV format, CC-BY 4.0).

    make audit-refresh                                   # downloads the database's main branch (needs GitHub)
    python security/advisories/refresh.py --source DIR   # or a checkout / extracted archive holding vulns/

Every PyPI advisory is kept (not only those of today's dependencies, so that a package added later is checked
too), reduced to what the audit needs: id, aliases, package, affected ranges (or explicit versions when an
advisory has no range), fixed versions, a one-line summary and the modification date. The snapshot is dated by
its newest advisory's ``modified`` time.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import tempfile
import urllib.request
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
SNAPSHOT = HERE / "snapshot.json"
ARCHIVE = "https://github.com/pypa/advisory-database/archive/refs/heads/main.zip"


def normalise(name: str) -> str:
    """PEP 503 name normalisation (as in uv.lock)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def timestamp(value: Any) -> str:
    """An OSV time as ISO 8601 UTC text (YAML reads some as datetimes, some as strings)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value or "")[:19].replace(" ", "T") + ("Z" if value else "")


def reduce(advisory: dict[str, Any]) -> list[dict[str, Any]]:
    """One compact record per affected PyPI package of an OSV advisory."""
    records = []
    summary = " ".join(str(advisory.get("summary") or advisory.get("details") or "").split())
    for affected in advisory.get("affected") or []:
        package = affected.get("package") or {}
        if package.get("ecosystem") != "PyPI":
            continue
        ranges = [[{k: str(v) for k, v in event.items()} for event in r.get("events") or []]
                  for r in affected.get("ranges") or [] if r.get("type") == "ECOSYSTEM"]
        record: dict[str, Any] = {
            "id": advisory["id"], "aliases": sorted(advisory.get("aliases") or []),
            "package": normalise(package["name"]), "ranges": ranges,
            "fixed": sorted({e["fixed"] for r in ranges for e in r if "fixed" in e}),
            "summary": summary[:160], "modified": timestamp(advisory.get("modified"))}
        if not ranges:
            record["versions"] = [str(v) for v in affected.get("versions") or []]
        if advisory.get("withdrawn"):
            record["withdrawn"] = str(advisory["withdrawn"])
        records.append(record)
    return records


def build(vulns: Path, source: str, commit: str) -> dict[str, Any]:
    records: list[dict[str, Any]] = []
    for path in sorted(vulns.rglob("*.yaml")):
        records.extend(reduce(yaml.safe_load(path.read_text(encoding="utf-8"))))
    if not records:
        raise SystemExit(f"no advisories under {vulns}")
    records.sort(key=lambda r: (r["package"], r["id"]))
    return {"source": source, "commit": commit, "licence": "CC-BY-4.0 (PyPA Advisory Database)",
            "advisories_as_of": max(r["modified"] for r in records), "count": len(records), "advisories": records}


def write(snapshot: dict[str, Any]) -> None:
    """One advisory per line, so that a refresh reads as a short diff."""
    head = {k: v for k, v in snapshot.items() if k != "advisories"}
    lines = [json.dumps(head, ensure_ascii=False)[:-1] + ', "advisories": [']
    lines += [json.dumps(r, ensure_ascii=False, sort_keys=True) + "," for r in snapshot["advisories"]]
    lines[-1] = lines[-1].rstrip(",")
    tmp = SNAPSHOT.with_name(f".{SNAPSHOT.name}.tmp")
    tmp.write_text("\n".join([*lines, "]}"]) + "\n", encoding="utf-8")
    tmp.replace(SNAPSHOT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, help="a folder holding vulns/ (default: download the archive)")
    parser.add_argument("--commit", default="", help="the database commit the folder holds, for the record")
    args = parser.parse_args()
    if args.source:
        snapshot = build(args.source / "vulns", "pypa/advisory-database", args.commit)
    else:
        with urllib.request.urlopen(ARCHIVE, timeout=120) as answer, tempfile.TemporaryDirectory() as folder:
            zipfile.ZipFile(io.BytesIO(answer.read())).extractall(folder)
            snapshot = build(next(Path(folder).glob("*/vulns")), ARCHIVE, args.commit)
    write(snapshot)
    print(f"{snapshot['count']} advisories as of {snapshot['advisories_as_of']} -> {SNAPSHOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
