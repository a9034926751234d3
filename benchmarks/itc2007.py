"""ITC2007 Track 3 through the engine: cost, UD2 terms, gap to the best known, times, memory.

    python -m benchmarks.itc2007 [FOLDER or .ctt files] [--time-limit 300] [--workers 2]
        [--seed 0] [--parallel 1] [--quick] [--out benchmarks/results/itc2007]

Each instance is solved in a fresh process by `tot`'s own `solve()`; the solution is written
in the competition's format, read back and scored by the UD2 validator in
`scheduler.itc2007`. Writes `<out>.csv` and `<out>.md`.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import time
from pathlib import Path

from benchmarks.common import Row, finish, markdown_table, print_table, run_isolated, write_csv

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FOLDER = ROOT / "benchmarks" / "data" / "itc2007"
QUICK = ["comp01", "comp04", "comp07", "comp11"]
COLUMNS = [
    "instance", "status", "cost", "RC", "MWD", "CC", "RS", "violations", "best_known",
    "gap_best_pct", "winner_mean", "vs_winner", "lower_bound", "build_s", "first_s",
    "best_s", "runtime_s", "peak_mib",
]  # fmt: skip


def solve_one(path: str, time_limit: float, workers: int, seed: int) -> Row:
    """Solve one `.ctt` file and score the written solution."""
    import tempfile

    from scheduler.itc2007 import read_ctt, read_sol, score_solution, solution_lines, to_instance
    from scheduler.solve import solve

    started = time.perf_counter()
    ctt = read_ctt(path)
    instance = to_instance(ctt, path)
    result = solve(instance, time_limit=time_limit, workers=workers, seed=seed)
    row: Row = {
        "instance": Path(path).stem,
        "status": result.status,
        "lower_bound": None if result.bound is None else max(0, round(result.bound)),
        "build_s": result.build_time,
        "first_s": result.time_to_first,
        "best_s": result.time_to_best,
        "runtime_s": time.perf_counter() - started,
    }
    if result.timetable is None:
        return row
    with tempfile.TemporaryDirectory() as folder:
        sol = Path(folder) / "solution.sol"
        sol.write_text("\n".join(solution_lines(result.timetable)) + "\n")
        score = score_solution(ctt, read_sol(sol, ctt))
    row.update(
        cost=score.cost,
        RC=score.room_capacity,
        MWD=score.min_working_days,
        CC=score.curriculum_compactness,
        RS=score.room_stability,
        violations=score.violations,
        solver_objective=result.objective,
    )
    return row


def reference(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / "best_known.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as handle:
        return {row["instance"]: row for row in csv.DictReader(handle)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="*", type=Path, default=[DEFAULT_FOLDER])
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--parallel", type=int, default=1, help="instances solved at once")
    parser.add_argument("--quick", action="store_true", help=f"60 s on {', '.join(QUICK)}")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "itc2007")
    args = parser.parse_args()
    files: list[Path] = []
    for path in args.paths:
        files += sorted(path.glob("comp*.ctt")) if path.is_dir() else [path]
    if args.quick:
        files = [f for f in files if f.stem in QUICK]
        args.time_limit = min(args.time_limit, 60.0)
    known = reference(files[0].parent) if files else {}

    def run(path: Path) -> Row:
        row = run_isolated(solve_one, str(path), args.time_limit, args.workers, args.seed)
        info = known.get(path.stem)
        row["instance"] = path.stem
        if info:
            best = int(info["best_known"])
            row["best_known"] = best
            row["winner_mean"] = float(info["itc2007_winner_score"])
            if row.get("cost") is not None:
                row["gap_best_pct"] = 100.0 * (row["cost"] - best) / max(1, best)
                row["vs_winner"] = "better" if row["cost"] <= row["winner_mean"] else "worse"
        print(f"{path.stem}: {row.get('status')} cost {row.get('cost')}", flush=True)
        return row

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.parallel) as pool:
        rows = list(pool.map(run, files))
    total = sum(r["cost"] for r in rows if r.get("cost") is not None)
    total_best = sum(r["best_known"] for r in rows if r.get("best_known") is not None)
    total_winner = sum(r["winner_mean"] for r in rows if r.get("winner_mean") is not None)
    summary = (
        f"\ntotal cost {total} (best known {total_best}, ratio {total / max(1, total_best):.2f}; "
        f"winner's means {total_winner:.1f}); at or below the winner's mean on "
        f"{sum(1 for r in rows if r.get('vs_winner') == 'better')} of {len(rows)}"
    )
    print_table(rows, COLUMNS)
    print(summary)
    write_csv(args.out.with_suffix(".csv"), rows, COLUMNS)
    args.out.with_suffix(".md").write_text(
        f"Time limit {args.time_limit:g} s per instance, "
        f"{args.workers} worker{'s' if args.workers != 1 else ''}, "
        f"seed {args.seed}.\n\n" + markdown_table(rows, COLUMNS) + summary.strip() + "\n",
        encoding="utf-8",
    )
    print(f"written to {args.out.with_suffix('.csv')} and {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
    finish()
