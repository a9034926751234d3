"""Solve the bundled instances with 1 and 2 workers; print a table and write CSV.

    python -m benchmarks.instances [--time-limit 60] [--seeds 0 1 2 3]
                                   [--out benchmarks/results/instances.csv]

Targets (issue 2): each province instance solved to proven optimality in under 10 s;
tot-1999 first solution in under 2 s and within 1 % of its bound (or optimal) in 60 s. The
`target` column says of each run whether it meets its instance's target. CP-SAT's run time
with several workers, or to a wall-clock limit, changes from run to run and from seed to
seed (Sulsel, 2 workers: proven optimal in 7.8-13.5 s over seeds 0-3). With several `--seeds`,
a second table counts, per instance and workers, the runs proven optimal and those meeting
the target, with the least, median and most time to the proof; it is also written as CSV,
`-summary` added to the file's name.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks.common import Row, finish, instance_parser, print_table, run_isolated, write_csv

INSTANCES = ["bali.yaml", "sulsel.yaml", "ntt.yaml", "tot-1999.yaml"]
COLUMNS = [
    "instance", "workers", "seed", "status", "objective", "bound", "gap_pct", "build_s",
    "first_s", "best_s", "runtime_s", "checker_total", "feasible", "target", "variables",
    "peak_mib",
]  # fmt: skip
SUMMARY_COLUMNS = [
    "instance", "workers", "runs", "proven", "target_met", "proof_min_s", "proof_median_s",
    "proof_max_s", "gap_median_pct",
]  # fmt: skip
PROOF_SECONDS = 10.0
"""A province instance's target: proven optimal within this many seconds."""
FIRST_SECONDS, GAP_PERCENT = 2.0, 1.0
"""A programme's target: a first timetable within these seconds, and in the time limit a
gap to its bound of at most this percentage (or proven optimal)."""


def solve_one(path: str, workers: int, time_limit: float, seed: int) -> Row:
    """Load, solve and check one instance; one row of the table."""
    from scheduler.checker import check
    from scheduler.loader import load_instance
    from scheduler.solve import solve

    instance = load_instance(path)
    result = solve(instance, time_limit=time_limit, workers=workers, seed=seed)
    report = check(instance, result.timetable) if result.timetable is not None else None
    return {
        "instance": Path(path).stem,
        "workers": workers,
        "status": result.status,
        "objective": result.objective,
        "bound": result.bound,
        "gap_pct": None if result.gap is None else 100 * result.gap,
        "build_s": result.build_time,
        "first_s": result.time_to_first,
        "best_s": result.time_to_best,
        "runtime_s": result.runtime,
        "checker_total": report.total if report else None,
        "feasible": report.feasible if report else None,
        "variables": result.num_variables,
    }


def target_met(row: Mapping[str, Any]) -> bool:
    """Whether a run meets its instance's target (module docstring): a programme (tot-*)
    its first timetable and gap, any other instance a proof of optimality in time."""
    if row.get("feasible") is not True:
        return False
    if str(row["instance"]).startswith("tot-"):
        first, gap = row.get("first_s"), row.get("gap_pct")
        in_gap = row.get("status") == "OPTIMAL" or (gap is not None and gap <= GAP_PERCENT)
        return first is not None and first <= FIRST_SECONDS and in_gap
    runtime = row.get("runtime_s")
    return row.get("status") == "OPTIMAL" and runtime is not None and runtime <= PROOF_SECONDS


def summarise(rows: Sequence[Mapping[str, Any]]) -> list[Row]:
    """Per instance and workers, over the seeds: runs, runs proven optimal, runs meeting the
    target, the least, median and most time to a proof, and the median gap."""
    groups: dict[tuple[Any, Any], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["instance"], row["workers"]), []).append(row)
    summary: list[Row] = []
    for (instance, workers), runs in groups.items():
        proofs = [r["runtime_s"] for r in runs if r.get("status") == "OPTIMAL"]
        gaps = [r["gap_pct"] for r in runs if r.get("gap_pct") is not None]
        summary.append(
            {
                "instance": instance,
                "workers": workers,
                "runs": len(runs),
                "proven": len(proofs),
                "target_met": sum(1 for r in runs if target_met(r)),
                "proof_min_s": min(proofs, default=None),
                "proof_median_s": statistics.median(proofs) if proofs else None,
                "proof_max_s": max(proofs, default=None),
                "gap_median_pct": statistics.median(gaps) if gaps else None,
            }
        )
    return summary


def main() -> None:
    parser = instance_parser(__doc__, INSTANCES, "instances.csv")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--seeds", type=int, nargs="+", help="solve each instance with each of these seeds"
    )
    args = parser.parse_args()
    seeds = args.seeds or [args.seed]
    rows: list[Row] = []
    for path in args.instances:
        for workers in args.workers:
            for seed in seeds:
                row = {"instance": Path(path).stem, "workers": workers, "seed": seed}
                row |= run_isolated(solve_one, path, workers, args.time_limit, seed)
                row["target"] = "met" if target_met(row) else "missed"
                rows.append(row)
    print_table(rows, COLUMNS)
    write_csv(args.out, rows, COLUMNS)
    print(f"\nwritten to {args.out}")
    if len(seeds) > 1:
        summary = summarise(rows)
        print()
        print_table(summary, SUMMARY_COLUMNS)
        summary_path = args.out.with_name(f"{args.out.stem}-summary.csv")
        write_csv(summary_path, summary, SUMMARY_COLUMNS)
        print(f"\nwritten to {summary_path}")


if __name__ == "__main__":
    main()
    finish()
