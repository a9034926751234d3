"""Lower bounds from the day models, each solved to optimality on its own; print a table and
write CSV.

    python -m benchmarks.bounds [--time-limit 300] [--out benchmarks/results/bounds.csv]

Each instance is bounded by the two relaxations of `scheduler.daybound` that `tot solve`
searches beside the whole model: the day model (`day`) and the day model with slots
(`day+slots`), each on one worker with the settings the solver gives them. Their optimum is
a lower bound on the whole model's. The timetable of the day model with slots, completed on
the whole model (its session starts, block and venue fixed) and passed through the checker,
is an upper bound: where the two meet, that is the instance's optimum, proven without the
whole model's search (Bali: 631). Where that completion costs more than the bound, the whole
model is also searched with only the days of that timetable fixed, as `tot solve` does, up
to a minute or a timetable at the bound (`completed_by`: `starts` or `days`).

An instance of several events is bounded event by event (`scheduler.decompose`), and a last
row sums the events' bounds: a lower bound on the programme, since every penalty but the
workload balance (S9, never negative) belongs to one event.
"""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.common import Row, finish, instance_parser, print_table, run_isolated, write_csv

INSTANCES = ["bali.yaml", "sulsel.yaml", "ntt.yaml", "tot-1999.yaml"]
MODELS = {"day": False, "day+slots": True}
"""Name of each day model in the table, and whether it has slots."""
DAYS_SECONDS = 60.0
"""At most this long to search the whole model with the days fixed."""
COLUMNS = [
    "instance", "model", "status", "bound", "runtime_s", "variables", "completed",
    "completed_by", "checker_total", "feasible", "peak_mib",
]  # fmt: skip


def bound_one(path: str, event_id: str | None, slots: bool, time_limit: float, seed: int) -> Row:
    """Solve one day model of `path` (of its event `event_id` alone, if given); with slots,
    complete its timetable on the whole model and check it."""
    from ortools.sat.python import cp_model

    from scheduler.checker import check
    from scheduler.compile import compile_instance
    from scheduler.daybound import build_day_model, decision_pairs
    from scheduler.decode import decode
    from scheduler.decompose import event_instance
    from scheduler.loader import load_instance
    from scheduler.model import build_model
    from scheduler.solve import DAY_PARAMS, complete_days, complete_timetable, cp_sat_solver

    instance = load_instance(path)
    if event_id is not None:
        instance = event_instance(instance, event_id)
    started = time.perf_counter()
    problem = compile_instance(instance)
    day_model = build_day_model(problem, slots=slots)
    solver = cp_sat_solver(1, seed, time_limit, False, DAY_PARAMS, False)
    status = solver.solve(day_model.model)
    row: Row = {
        "status": solver.status_name(status),
        "bound": solver.best_objective_bound,
        "runtime_s": time.perf_counter() - started,
        "variables": len(day_model.model.proto.variables),
    }
    if slots and status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        whole = build_model(problem)
        fixed = {index: solver.value(ours) for index, ours in decision_pairs(day_model, whole)}
        completed = complete_timetable(whole, fixed, time_limit)
        row["completed_by"] = "starts"
        if completed is None or completed[1] > solver.objective_value:
            hint = completed[0] if completed is not None else None
            days_limit = min(time_limit, DAYS_SECONDS)
            finder = cp_sat_solver(1, seed, days_limit, False, {}, False)
            by_days = complete_days(
                whole, day_model, solver.value, solver.objective_value, finder, hint
            )
            if by_days is not None and (completed is None or by_days[1] < completed[1]):
                completed, row["completed_by"] = by_days, "days"
        if completed is not None:
            values, objective = completed
            report = check(instance, decode(problem, whole.vars, values))
            row |= {"completed": objective, "checker_total": report.total}
            row["feasible"] = report.feasible
    return row


def event_ids(path: str) -> list[str]:
    """The events of the instance at `path`, when it has more than one."""
    from scheduler.loader import load_instance

    events = load_instance(path).events
    return [event.id for event in events] if len(events) > 1 else []


def main() -> None:
    parser = instance_parser(__doc__, INSTANCES, "bounds.csv")
    parser.set_defaults(time_limit=300.0)
    args = parser.parse_args()
    rows: list[Row] = []
    for path in args.instances:
        name = Path(path).stem
        parts: list[str | None] = [*event_ids(path)] or [None]
        for model, slots in MODELS.items():
            bounds: list[Row] = []
            for event_id in parts:
                row = run_isolated(bound_one, path, event_id, slots, args.time_limit, args.seed)
                label = name if event_id is None else f"{name}/{event_id}"
                rows.append({"instance": label, "model": model} | row)
                bounds.append(row)
            if len(parts) > 1:
                rows.append(events_total(name, model, bounds))
    print_table(rows, COLUMNS)
    write_csv(args.out, rows, COLUMNS)
    print(f"\nwritten to {args.out}")


def events_total(name: str, model: str, rows: list[Row]) -> Row:
    """The row of a programme: the sum of its events' bounds and run times."""
    proven = all(row.get("status") == "OPTIMAL" for row in rows)
    bounds = [row.get("bound") for row in rows]
    return {
        "instance": name,
        "model": f"{model}, sum of events",
        "status": "OPTIMAL" if proven else "FEASIBLE",
        "bound": sum(b for b in bounds if b is not None) if None not in bounds else None,
        "runtime_s": sum(row.get("runtime_s") or 0.0 for row in rows),
    }


if __name__ == "__main__":
    main()
    finish()
