"""Run a job's partitions on a scheduler, write each result as it arrives, skip what is already done.

A *job* is a list of partitions (row ranges of an input table, or county × scenario × draw blocks), a pure
function that computes one partition, and a *job key*: the SHA-256 of the inputs' digests, the parameters,
the software version and the factor-set version and digest (STYLE.md habit 9). The partitioning depends on the
inputs and parameters only — never on the scheduler or the number of workers — so every scheduler computes the
same partitions with the same code and the totals (summed in partition order with :func:`math.fsum`) are
bit-identical.

Output directory layout (``--output PATH``)::

    part-00000.parquet   results of partition 0 (written to a temporary name, then renamed)
    part-00000.json      its marker: job key, rows in/out, totals, SHA-256 of the Parquet file
    …
    manifest.json        written last: job key, provenance, every partition's status, the summary

A partition counts as done only when its marker names the current job key and its Parquet file has the
recorded digest; a re-run with the same key skips it. The manifest is removed when a run starts and written
when it ends, with ``complete: false`` when any partition failed — a half-written output is never presented as
complete.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from countyzero import __version__
from countyzero.core.errors import InputError
from countyzero.core.io import write_files
from countyzero.core.trace import sha256_of

MAX_ROW_ERRORS = 20
"""Row errors listed per partition (the count of all bad rows is reported beside them)."""


@dataclass(frozen=True)
class Partition:
    """One unit of work: ``spec`` is everything the compute function needs (plain, picklable values)."""

    index: int
    label: str
    rows_in: int
    spec: dict[str, Any]


@dataclass
class PartitionResult:
    """What one partition gave: a result table, or the rows that made it fail."""

    index: int
    rows_in: int
    table: pa.Table | None = None
    totals: dict[str, float] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    bad_rows: int = 0

    @property
    def ok(self) -> bool:
        return self.table is not None and not self.errors


@dataclass
class Job:
    """Partitions, the function that computes one, and what identifies the whole job."""

    kind: str
    key: str
    partitions: list[Partition]
    compute: Callable[[Partition], PartitionResult]
    parameters: dict[str, Any]
    inputs: dict[str, str]
    factor_set: dict[str, str]
    total_names: tuple[str, ...]


def job_key(kind: str, inputs: dict[str, str], parameters: dict[str, Any], factor_set: dict[str, str],
            plan: list[dict[str, Any]]) -> str:
    """SHA-256 of everything a result depends on (input digests, parameters, versions, the partition plan)."""
    return sha256_of({"kind": kind, "inputs": inputs, "parameters": parameters, "factor_set": factor_set,
                      "software_version": __version__, "plan": plan})


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, read in 8 MiB blocks (memory stays bounded for any size)."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(8 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def row_error(row: int | str | None, field_name: str | None, message: str) -> dict[str, Any]:
    return {"row": row, "field": field_name, "message": message}


def input_error_result(partition: Partition, exc: InputError) -> PartitionResult:
    """A partition that failed on its input, with the place named by the error."""
    return PartitionResult(partition.index, partition.rows_in, errors=[row_error(exc.row, exc.field, exc.message)],
                           bad_rows=1)


# --- schedulers ---------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def open_scheduler(scheduler: str, *, workers: int | None = None) -> Iterator[Any]:
    """A ``distributed.Client`` for ``local`` or ``tcp://HOST:PORT``, or ``None`` for ``inprocess``.

    ``local`` starts a LocalCluster of worker processes (one thread each, no dashboard, loopback only) and
    closes it afterwards; an address connects to a cluster that someone else runs (and leaves it running).
    """
    if scheduler == "inprocess":
        yield None
        return
    from distributed import Client, LocalCluster

    if scheduler == "local":
        n = workers or os.cpu_count() or 1
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                          host="127.0.0.1") as cluster, Client(cluster) as client:
            yield client
        return
    if scheduler.startswith(("tcp://", "tls://")):
        try:
            client = Client(scheduler, timeout="30s")
        except OSError as exc:
            raise InputError(f"cannot connect to the scheduler: {exc}", field="scheduler") from None
        try:
            yield client
        finally:
            client.close()
        return
    raise InputError(f"unknown scheduler {scheduler!r}; use inprocess, local or tcp://HOST:PORT", field="scheduler")


# --- output files -------------------------------------------------------------------------------------------------
def _part_paths(output: Path, index: int) -> tuple[Path, Path]:
    return output / f"part-{index:05d}.parquet", output / f"part-{index:05d}.json"


def _completed(output: Path, job: Job, partition: Partition) -> dict[str, Any] | None:
    data_path, marker_path = _part_paths(output, partition.index)
    if not (data_path.is_file() and marker_path.is_file()):
        return None
    try:
        marker = json.loads(marker_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if marker.get("job_key") != job.key or marker.get("parquet_sha256") != file_sha256(data_path):
        return None
    return dict(marker)


def _write_partition(output: Path, job: Job, partition: Partition, result: PartitionResult) -> dict[str, Any]:
    assert result.table is not None
    data_path, marker_path = _part_paths(output, partition.index)
    tmp = data_path.with_name(f".{data_path.name}.tmp")
    pq.write_table(result.table, tmp)
    os.replace(tmp, data_path)
    marker = {"job_key": job.key, "partition": partition.index, "label": partition.label,
              "rows_in": result.rows_in, "rows_out": result.table.num_rows, "totals": result.totals,
              "file": data_path.name, "parquet_sha256": file_sha256(data_path)}
    write_files({marker_path: json.dumps(marker, indent=1) + "\n"})
    return marker


def _prepare_output(output: Path, job: Job) -> None:
    output.mkdir(parents=True, exist_ok=True)
    (output / "manifest.json").unlink(missing_ok=True)
    wanted = {p.index for p in job.partitions}
    for path in output.glob("part-*"):
        stem = path.name.split(".")[0]
        try:
            index = int(stem.removeprefix("part-"))
        except ValueError:
            continue
        if index not in wanted:
            path.unlink()


# --- the run --------------------------------------------------------------------------------------------------------
def _failure(partition: Partition, reason: str, result: PartitionResult | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"partition": partition.index, "rows": partition.label, "reason": reason}
    if result is not None:
        entry["bad_rows"] = result.bad_rows
        entry["errors"] = result.errors
    return entry


def _exception_text(exc: BaseException) -> str:
    lines = traceback.format_exception_only(type(exc), exc)
    return lines[-1].strip() if lines else type(exc).__name__


def run_job(job: Job, output: str | Path, *, client: Any = None, retries: int = 2,
            on_partition: Callable[[int, str], None] | None = None) -> dict[str, Any]:
    """Compute every partition not already done, write each as it completes, then the manifest.

    Parameters
    ----------
    client : distributed.Client, optional
        Run on this cluster; ``None`` runs the partitions one after another in this process.
    retries : int
        Extra attempts for a partition whose computation raised an unexpected exception or whose worker died
        (Dask reschedules a dead worker's tasks itself as well). Bad input is not retried: it would fail again.
    on_partition : callable(index, status), optional
        Called after each partition is done (``computed``, ``skipped`` or ``failed``), e.g. for a progress bar.

    Returns
    -------
    dict
        The summary (also stored in ``manifest.json``).
    """
    started = time.perf_counter()
    output = Path(output)
    _prepare_output(output, job)
    markers: dict[int, dict[str, Any]] = {}
    failed: dict[int, dict[str, Any]] = {}
    pending: list[Partition] = []
    skipped = 0
    for partition in job.partitions:
        marker = _completed(output, job, partition)
        if marker is None:
            for stale in _part_paths(output, partition.index):  # of another job key, or half-written
                stale.unlink(missing_ok=True)
            pending.append(partition)
        else:
            markers[partition.index] = marker
            skipped += 1
            if on_partition:
                on_partition(partition.index, "skipped")

    def accept(partition: Partition, result: PartitionResult) -> None:
        if result.ok:
            markers[partition.index] = _write_partition(output, job, partition, result)
            status = "computed"
        else:
            failed[partition.index] = _failure(partition, "bad input rows", result)
            status = "failed"
        if on_partition:
            on_partition(partition.index, status)

    def reject(partition: Partition, reason: str) -> None:
        failed[partition.index] = _failure(partition, reason)
        if on_partition:
            on_partition(partition.index, "failed")

    if client is None:
        for partition in pending:
            for attempt in range(retries + 1):
                try:
                    result = job.compute(partition)
                except Exception as exc:  # any crash of a partition is reported, never silently dropped
                    if attempt == retries:
                        reject(partition, f"failed after {retries + 1} attempts: {_exception_text(exc)}")
                    continue
                accept(partition, result)
                break
    elif pending:
        from distributed import as_completed

        by_future = {}
        for partition in pending:
            name = f"countyzero-{job.kind}-{job.key[:16]}-{partition.index}"
            future = client.submit(job.compute, partition, key=name, retries=retries, pure=False)
            by_future[future] = partition
        for future in as_completed(list(by_future)):
            partition = by_future.pop(future)
            if future.status == "finished":
                accept(partition, future.result())
            else:
                reject(partition, f"failed after {retries + 1} attempts: {_exception_text(future.exception())}")
            future.release()
    done = [markers[p.index] for p in job.partitions if p.index in markers]
    totals = {name: math.fsum(m["totals"].get(name, 0.0) for m in done) for name in job.total_names}
    summary: dict[str, Any] = {
        "job": job.kind, "job_key": job.key, "complete": not failed,
        "rows_in": sum(p.rows_in for p in job.partitions),
        "rows_out": sum(int(m["rows_out"]) for m in done),
        "partitions": {"total": len(job.partitions), "computed": len(done) - skipped, "skipped": skipped,
                       "failed": len(failed)},
        "failed_partitions": [failed[i] for i in sorted(failed)],
        "totals": totals,
        "output": str(output), "files": [m["file"] for m in done],
        "parameters": job.parameters, "inputs": job.inputs,
        "provenance": {"software_version": __version__, "factor_set": job.factor_set},
        "elapsed_s": round(time.perf_counter() - started, 3),
    }
    manifest = {**summary, "partitions_detail": [
        {"partition": p.index, "rows": p.label,
         "status": "done" if p.index in markers else "failed",
         "file": markers[p.index]["file"] if p.index in markers else None} for p in job.partitions]}
    write_files({output / "manifest.json": json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"})
    return summary


def read_results(output: str | Path) -> pa.Table:
    """The result rows of a complete output directory, in partition order (per the manifest)."""
    output = Path(output)
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    tables = [pq.read_table(output / name) for name in manifest["files"]]
    return pa.concat_tables(tables) if tables else pa.table({})
