"""Batch runs: the same numbers inprocess and on a 2-process LocalCluster, a killed worker, bad partitions,
skip-completed re-runs. One cluster for the whole module (clusters are slow to start)."""

from __future__ import annotations

import json
import os
import signal
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from countyzero.batch.buildings import buildings_job
from countyzero.batch.cli import app
from countyzero.batch.credits import credits_job
from countyzero.batch.finance import finance_job
from countyzero.batch.roadmap import block_seed, roadmap_job
from countyzero.batch.runner import Job, Partition, PartitionResult, read_results, run_job
from countyzero.buildings.portfolio import assess_portfolio
from countyzero.core.errors import InputError

from .conftest import samples

ON = date(2026, 3, 1)


def _jobs(inputs: dict[str, Path], out: Path) -> dict[str, Job]:
    return {
        "buildings": buildings_job(inputs["buildings"], out / "b", partition_rows=400),
        "finance": finance_job(inputs["loans"], out / "f", on=ON, partition_rows=700),
        "credits": credits_job(inputs["projects"], out / "c", partition_rows=200),
        "roadmap": roadmap_job(inputs["counties"], draws=1500, seed=11),
    }


def test_local_cluster_equals_inprocess_exactly(client: Any, inputs: dict[str, Path], tmp_path: Path) -> None:
    for name, job in _jobs(inputs, tmp_path).items():
        here = run_job(job, tmp_path / f"{name}-inprocess")
        there = run_job(job, tmp_path / f"{name}-cluster", client=client)
        assert here["complete"] and there["complete"], name
        assert here["partitions"]["total"] > 1, name
        assert here["totals"] == there["totals"], name  # bit-identical floats
        assert read_results(tmp_path / f"{name}-inprocess").equals(read_results(tmp_path / f"{name}-cluster")), name


def test_bad_partitions_reported_good_ones_kept(client: Any, tmp_path: Path) -> None:
    table = samples.make_buildings(30, 5).to_pylist()
    table[7]["quantity"] = -1.0  # row 9 of the file (building 1, partition 0)
    table[101]["factor_id"], table[101]["a1a3_kgco2e_per_unit"] = "no.such.factor", None  # row 103 (partition 3)
    path = tmp_path / "bad.csv"
    pcsv.write_csv(pa.Table.from_pylist(table), path)
    job = buildings_job(path, tmp_path / "out", partition_rows=25)
    summary = run_job(job, tmp_path / "out", client=client)
    assert not summary["complete"]
    failed = {f["partition"]: f for f in summary["failed_partitions"]}
    assert sorted(failed) == [0, 4]
    assert failed[0]["errors"] == [{"row": 9, "field": "quantity", "message": "quantity must be a finite number ≥ 0"}]
    assert failed[4]["errors"][0]["row"] == 103 and failed[4]["errors"][0]["field"] == "factor_id"
    assert "no.such.factor" in failed[4]["errors"][0]["message"]
    assert summary["partitions"]["computed"] == len(job.partitions) - 2
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["complete"] is False
    assert [p["status"] for p in manifest["partitions_detail"]].count("failed") == 2
    assert not (tmp_path / "out" / "part-00000.parquet").exists()
    # the CLI: JSON summary on stdout and exit status 1
    result = CliRunner().invoke(app, ["buildings", str(path), "--output", str(tmp_path / "cli"),
                                      "--partition-rows", "25"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["partitions"]["failed"] == 2


def test_cli_on_a_scheduler_address_equals_inprocess(client: Any, inputs: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["credits", str(inputs["projects"]), "--partition-rows", "300"]
    here = runner.invoke(app, [*args, "--output", str(tmp_path / "a")])
    there = runner.invoke(app, [*args, "--output", str(tmp_path / "b"), "--scheduler", client.scheduler.address])
    assert here.exit_code == 0 and there.exit_code == 0, there.output
    assert json.loads(here.stdout)["totals"] == json.loads(there.stdout)["totals"]
    assert json.loads(there.stdout)["scheduler"].startswith("tcp://127.0.0.1:")


def test_killed_worker_still_completes_identically(client: Any, inputs: dict[str, Path], tmp_path: Path) -> None:
    job = roadmap_job(inputs["counties"], draws=2000, seed=3)
    reference = run_job(job, tmp_path / "inprocess")
    pids = client.run(os.getpid)
    killed: list[int] = []

    def kill_one(index: int, status: str) -> None:
        if not killed:
            pid = next(iter(pids.values()))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    summary = run_job(job, tmp_path / "cluster", client=client, retries=3, on_partition=kill_one)
    assert killed
    assert set(client.scheduler_info()["workers"]) != set(pids)  # the worker was lost during the run
    assert summary["complete"], summary["failed_partitions"]
    assert summary["totals"] == reference["totals"]
    assert read_results(tmp_path / "cluster").equals(read_results(tmp_path / "inprocess"))


def _crashing(partition: Partition) -> PartitionResult:
    if partition.index == 1:
        raise MemoryError("simulated crash")
    return PartitionResult(partition.index, 1, table=pa.table({"x": [partition.index]}), totals={"n": 1.0})


def test_crash_is_retried_and_reported(tmp_path: Path) -> None:
    calls: list[int] = []

    def compute(partition: Partition) -> PartitionResult:
        calls.append(partition.index)
        return _crashing(partition)

    job = Job("test", "k" * 64, [Partition(i, f"#{i}", 1, {}) for i in range(3)], compute, {}, {}, {}, ("n",))
    summary = run_job(job, tmp_path, retries=2)
    assert calls.count(1) == 3 and calls.count(0) == 1
    assert summary["failed_partitions"] == [
        {"partition": 1, "rows": "#1", "reason": "failed after 3 attempts: MemoryError: simulated crash"}]
    assert summary["totals"] == {"n": 2.0}


def test_rerun_skips_completed_partitions(inputs: dict[str, Path], tmp_path: Path) -> None:
    job = buildings_job(inputs["buildings"], tmp_path, partition_rows=400)
    first = run_job(job, tmp_path)
    assert first["partitions"]["computed"] == len(job.partitions) and first["partitions"]["skipped"] == 0
    second = run_job(buildings_job(inputs["buildings"], tmp_path, partition_rows=400), tmp_path)
    assert second["partitions"] == {"total": len(job.partitions), "computed": 0, "skipped": len(job.partitions),
                                    "failed": 0}
    assert second["totals"] == first["totals"]
    (tmp_path / "part-00002.parquet").unlink()
    (tmp_path / "part-00003.json").write_text("{}")
    third = run_job(job, tmp_path)
    assert third["partitions"]["computed"] == 2 and third["totals"] == first["totals"]
    # another parameter is another key: nothing is skipped
    other = run_job(buildings_job(inputs["buildings"], tmp_path, partition_rows=500), tmp_path)
    assert other["partitions"]["skipped"] == 0
    assert other["totals"]["total_kgco2e"] == pytest.approx(first["totals"]["total_kgco2e"], rel=1e-12)


def test_buildings_agree_with_the_buildings_engine(tmp_path: Path) -> None:
    """Library-factor lines without transport: A1-A3 and B4 as the portfolio engine computes them."""
    table = samples.make_buildings(50, 8)
    mask = np.asarray(table["factor_id"].is_valid())
    table = table.filter(pa.array(mask)).drop_columns(["transport_km", "transport_kgco2e_per_tkm"])
    path = tmp_path / "p.parquet"
    pq.write_table(table, path)
    summary = run_job(buildings_job(path, tmp_path / "out", partition_rows=60), tmp_path / "out")
    engine_input = table.select(["building_id", "gross_floor_area_m2", "factor_id", "quantity", "unit",
                                 "service_life_years"]).append_column("distance_km", pa.array(np.zeros(len(table))))
    engine = assess_portfolio(engine_input, method="en15978", study_period=60)
    assert summary["totals"]["a1a3_kgco2e"] == pytest.approx(float(engine.modules[:, 0].sum()), rel=1e-12)
    assert summary["totals"]["b4_kgco2e"] == pytest.approx(float(engine.modules[:, 6].sum()), rel=1e-12)
    assert summary["totals"]["total_kgco2e"] == pytest.approx(float(engine.total_kgco2e.sum()), rel=1e-12)
    result = read_results(tmp_path / "out")
    assert result["building_id"].to_pylist() == engine.building_ids
    np.testing.assert_allclose(result["per_m2_kgco2e"].to_numpy(), engine.per_m2_kgco2e, rtol=1e-12)


def test_memory_is_bounded_by_the_partition(tmp_path: Path) -> None:
    """A scaled-down 10-million-line run: 60,000 lines in partitions of 3,000 — each partition reads only its
    rows (working arrays sized by the partition, not the file)."""
    path = tmp_path / "p.parquet"
    pq.write_table(samples.make_buildings(2000, 30), path, row_group_size=10_000)
    job = buildings_job(path, tmp_path / "out", partition_rows=3000)
    assert len(job.partitions) == 20
    assert max(p.rows_in for p in job.partitions) == 3000
    pool = pa.default_memory_pool()
    peaks: list[int] = []
    run_job(job, tmp_path / "out", on_partition=lambda i, s: peaks.append(pool.bytes_allocated()))
    assert max(peaks) < 8 * 1024 * 1024  # arrow memory held between partitions stays small


def test_planning_errors_name_file_row_and_field(tmp_path: Path) -> None:
    table = samples.make_buildings(3, 2)
    shuffled = table.take(pa.array([0, 2, 1, 3, 4, 5]))  # building B0000000 at rows 2 and 4
    path = tmp_path / "p.parquet"
    pq.write_table(shuffled, path)
    with pytest.raises(InputError) as info:
        buildings_job(path, tmp_path / "out")
    assert info.value.row == 4 and info.value.field == "building_id"
    pq.write_table(table.drop_columns(["item_id"]), path)
    result = CliRunner().invoke(app, ["buildings", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "item_id" in result.output


def test_seeds_depend_on_county_and_draw_index_only() -> None:
    assert block_seed(1, "county-00", 0, 3) == block_seed(1, "county-00", 0, 3)
    assert len({block_seed(1, c, s, b) for c in ("a", "b") for s in range(2) for b in range(3)}) == 12


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for command in ("buildings", "finance", "roadmap", "credits"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "--scheduler" in result.output and "--output" in result.output
    docs = (Path(__file__).resolve().parents[2] / "docs" / "scaling.md").read_text(encoding="utf-8")
    for command in ("buildings", "finance", "roadmap", "credits"):
        assert f"countyzero batch {command}" in docs


def _partition_errors(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for failed in summary["failed_partitions"] for e in failed["errors"]]


def test_values_of_the_wrong_type_name_their_row_of_the_file(tmp_path: Path) -> None:
    """A value that is not a number, not in a metric's vocabulary or not a known activity is an error on its own
    row of the file, whichever partition reads it (partitions of 10 rows: the third starts at row 22)."""
    loans = samples.make_loans(30).to_pylist()
    for i, loan in enumerate(loans):
        loan["amount"], loan["epc_class"] = str(loan["amount"]), "ABCDEFG"[i % 7]
    loans[23]["amount"] = "ten"  # row 25 (partition 2)
    loans[14]["epc_class"] = "Z"  # row 16 (partition 1)
    loans[5]["activity_eu"] = "9.99"  # row 7 (partition 0)
    path = tmp_path / "loans.csv"
    pcsv.write_csv(pa.Table.from_pylist(loans), path)
    summary = run_job(finance_job(path, tmp_path / "out", on=date(2026, 3, 1), partition_rows=10), tmp_path / "out")
    errors = sorted(_partition_errors(summary), key=lambda e: e["row"])
    assert [(e["row"], e["field"]) for e in errors] == [(7, "activity_eu"), (16, "epc_class"), (25, "amount")]
    assert "not a number" in errors[2]["message"] and "A, B" in errors[1]["message"]
    projects = samples.make_projects(20).to_pylist()
    for project in projects:
        project["start_date"] = str(project["start_date"])
    projects[12]["start_date"] = "2021-13-40"  # row 14
    path = tmp_path / "projects.csv"
    pcsv.write_csv(pa.Table.from_pylist(projects), path)
    with pytest.raises(InputError) as info:
        credits_job(path, tmp_path / "credits")
    assert (info.value.row, info.value.field, info.value.file) == (14, "start_date", str(path))
