"""Explanation time on the infeasible test instances, and repair against a fresh solve.

    python -m benchmarks.explain [--time-limit 60] [--repair-limit 30]
        [--out benchmarks/results/explain]

Part 1: `explain()` on every `tests/data/infeasible/*.yaml` (pre-solve diagnosis, or the
solver's conflict shrunk by the deletion filter): stage, rules named, minimal or not, checks
and seconds. Part 2: the 1999 programme is solved once (the "published" timetable); for each
scenario of `instances/scenarios/`, `repair()` and a fresh `solve()` with the same time
limit, and how many published sessions each one changes. Writes `<out>-explain.csv` and
`<out>-repair.csv`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks.common import Row, finish, print_table, run_isolated, write_csv

ROOT = Path(__file__).resolve().parent.parent
INFEASIBLE = ROOT / "tests" / "data" / "infeasible"
PROGRAMME = ROOT / "instances" / "tot-1999.yaml"
SCENARIOS = ROOT / "instances" / "scenarios"
EXPLAIN_COLUMNS = ["instance", "verdict", "stage", "rules", "minimal", "checks", "seconds"]
REPAIR_COLUMNS = [
    "scenario", "repair_status", "disruption", "changed_by_repair", "moved_by_repair",
    "repair_s", "changed_by_fresh", "moved_by_fresh", "fresh_s", "repair_objective",
    "fresh_objective", "sessions",
]  # fmt: skip


def explain_one(path: str, time_limit: float) -> Row:
    """Explain one infeasible instance; one row."""
    from scheduler.diagnose import load_lenient
    from scheduler.explain import explain

    instance = load_lenient(Path(path))
    started = time.perf_counter()
    explanation = explain(instance, time_limit=time_limit)
    return {
        "instance": Path(path).stem,
        "verdict": explanation.verdict,
        "stage": explanation.stage,
        "rules": " ".join(sorted({f.rule for f in explanation.findings})),
        "minimal": explanation.minimal,
        "checks": explanation.checks,
        "seconds": time.perf_counter() - started,
    }


def repair_all(time_limit: float, seed: int) -> list[Row]:
    """Publish a timetable of the programme, then repair and re-solve it per scenario."""
    from scheduler.checker import check
    from scheduler.loader import load_instance
    from scheduler.repair import compare, repair
    from scheduler.scenario import apply_scenario, load_scenario
    from scheduler.solve import solve

    base = load_instance(PROGRAMME)
    published = solve(base, time_limit=time_limit, workers=2, seed=seed).timetable
    assert published is not None
    rows = []
    for path in sorted(SCENARIOS.glob("*.yaml")):
        changed = apply_scenario(load_scenario(path), base, path)
        started = time.perf_counter()
        repaired = repair(changed, published, time_limit=time_limit, workers=2, seed=seed)
        repair_s = time.perf_counter() - started
        started = time.perf_counter()
        fresh = solve(changed, time_limit=time_limit, workers=2, seed=seed)
        fresh_s = time.perf_counter() - started
        row: Row = {
            "scenario": path.stem,
            "repair_status": repaired.result.status,
            "disruption": repaired.disruption,
            "repair_s": repair_s,
            "fresh_s": fresh_s,
            "repair_objective": repaired.result.objective,
            "fresh_objective": fresh.objective,
            "sessions": len(published.sessions),
        }
        for label, timetable in (("repair", repaired.result.timetable), ("fresh", fresh.timetable)):
            if timetable is None:
                continue
            assert check(changed, timetable).feasible
            changes = compare(published, timetable)
            row[f"changed_by_{label}"] = sum(c.kinds != ("kept",) for c in changes)
            row[f"moved_by_{label}"] = sum("moved" in c.kinds for c in changes)
        rows.append(row)
    return rows


def _repair_task(time_limit: float, seed: int) -> Row:
    return {"rows": repair_all(time_limit, seed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="per explanation")
    parser.add_argument("--repair-limit", type=float, default=30.0, help="per repair and solve")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "explain")
    args = parser.parse_args()

    explained = [
        run_isolated(explain_one, str(path), args.time_limit)
        for path in sorted(INFEASIBLE.glob("*.yaml"))
    ]
    print_table(explained, [*EXPLAIN_COLUMNS, "peak_mib"])
    write_csv(args.out.with_name(args.out.name + "-explain.csv"), explained, EXPLAIN_COLUMNS)
    print()
    repaired = run_isolated(_repair_task, args.repair_limit, args.seed).get("rows", [])
    print_table(repaired, REPAIR_COLUMNS)
    write_csv(args.out.with_name(args.out.name + "-repair.csv"), repaired, REPAIR_COLUMNS)


if __name__ == "__main__":
    main()
    finish()
