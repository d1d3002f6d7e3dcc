"""Scale-out of the engines on Dask (``dask.distributed``), with the same numbers on every scheduler.

Layers: :mod:`countyzero.batch.runner` (partitions, schedulers, incremental Parquet output, skip-completed
re-runs, manifest) → one planner per engine (:mod:`~countyzero.batch.buildings`, :mod:`~countyzero.batch.finance`,
:mod:`~countyzero.batch.roadmap`, :mod:`~countyzero.batch.credits`) → :mod:`countyzero.batch.cli`.
Nothing is imported from Dask until a cluster is used. See docs/scaling.md.
"""

from countyzero.batch.runner import Job, Partition, PartitionResult, open_scheduler, read_results, run_job

__all__ = ["Job", "Partition", "PartitionResult", "open_scheduler", "read_results", "run_job"]
