"""Throughput of `tot compare`: scenarios solved per minute on 1 and 2 local processes and on
a Dask LocalCluster of 2 worker processes; print a table and write CSV.

    python -m benchmarks.compare [--time-limit 10] [--out benchmarks/results/compare.csv]

Every run (the base and each scenario of instances/scenarios/) is solved with one CP-SAT
worker in deterministic mode (`tot compare --seed 0`), so each configuration does the same
work whatever the load; throughput counts the base as one scenario. The Dask row includes starting
the cluster, as a user of `--executor dask` without `--scheduler` pays for it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks.common import Row, finish, print_table, run_isolated, write_csv

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "instances" / "tot-1999.yaml"
CONFIGURATIONS = [("local", 1), ("local", 2), ("dask", 2)]
"""(executor, runs solved at once)."""
COLUMNS = [
    "executor", "parallel", "runs", "time_limit", "found", "elapsed_s", "scenarios_per_min",
    "mean_objective", "peak_mib",
]  # fmt: skip


def compare_once(
    executor: str, parallel: int, scenarios: list[str], time_limit: float, seed: int
) -> Row:
    """Solve the base and every scenario in one configuration; one row of the table."""
    from scheduler.compare import Settings, scenario_runs, solve_all

    runs = scenario_runs(BASE, [Path(path) for path in scenarios])
    settings = Settings(time_limit=time_limit, workers=1, seed=seed)
    started = time.perf_counter()
    outcomes = solve_all(runs, settings, parallel, "dask" if executor == "dask" else "local")
    elapsed = time.perf_counter() - started
    objectives = [o.objective for o in outcomes if o.objective is not None]
    return {
        "runs": len(runs),
        "time_limit": time_limit,
        "found": sum(outcome.found for outcome in outcomes),
        "elapsed_s": elapsed,
        "scenarios_per_min": 60 * len(runs) / elapsed,
        "mean_objective": sum(objectives) / len(objectives) if objectives else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "scenarios",
        nargs="*",
        default=[str(path) for path in sorted((ROOT / "instances" / "scenarios").glob("*.yaml"))],
    )
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "compare.csv")
    args = parser.parse_args()
    rows = [
        {"executor": executor, "parallel": parallel}
        | run_isolated(compare_once, executor, parallel, args.scenarios, args.time_limit, args.seed)
        for executor, parallel in CONFIGURATIONS
    ]
    print_table(rows, COLUMNS)
    write_csv(args.out, rows, COLUMNS)
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
    finish()
