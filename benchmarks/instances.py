"""Solve the bundled instances with 1 and 2 workers; print a table and write CSV.

    python -m benchmarks.instances [--time-limit 60] [--out benchmarks/results/instances.csv]

Targets (issue 2): each province instance solved to proven optimality in under 10 s;
tot-1999 first solution in under 2 s and within 1 % of its bound (or optimal) in 60 s.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.common import Row, finish, instance_parser, print_table, run_isolated, write_csv

INSTANCES = ["bali.yaml", "sulsel.yaml", "ntt.yaml", "tot-1999.yaml"]
COLUMNS = [
    "instance", "workers", "status", "objective", "bound", "gap_pct", "build_s",
    "first_s", "best_s", "runtime_s", "checker_total", "feasible", "variables", "peak_mib",
]  # fmt: skip


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


def main() -> None:
    parser = instance_parser(__doc__, INSTANCES, "instances.csv")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    rows = [
        {"instance": Path(path).stem, "workers": workers}
        | run_isolated(solve_one, path, workers, args.time_limit, args.seed)
        for path in args.instances
        for workers in args.workers
    ]
    print_table(rows, COLUMNS)
    write_csv(args.out, rows, COLUMNS)
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
    finish()
