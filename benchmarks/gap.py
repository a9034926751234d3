"""Where the optimality gap of the province instances comes from; print a table, write CSV.

    python -m benchmarks.gap [--time-limit 60] [--workers 2] [--out benchmarks/results/gap.csv]

Each province instance is solved three ways, on the same hard rules: the whole objective
(`all`), cost alone (`S5`: every other weight 0) and everything but cost (`not S5`). A fourth
row (`S5 day counts`) bounds cost without any timing: a small model that hands each
facilitator position's slots to trainers who may fill it, a trainer's working day holding at
most its slots a day, and charges fees per day, fares and the cheapest venue. It is solved to
optimality in milliseconds; where it falls short of the `S5` optimum, what is missing is
timing (parallel breakouts, group time, precedence), which no aggregate count sees.

Read together: when `S5` alone takes long to prove and the day-count bound is below its
optimum, the gap of `all` is the packing of sessions into trainer days, not any one soft rule.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

from benchmarks.common import Row, finish, instance_parser, print_table, run_isolated, write_csv

PROVINCES = ["bali.yaml", "sulsel.yaml", "ntt.yaml"]
OBJECTIVES = ["all", "S5", "not S5"]
COLUMNS = [
    "instance", "objective_of", "status", "objective", "bound", "gap_pct", "first_s",
    "runtime_s", "peak_mib",
]  # fmt: skip


def solve_part(path: str, part: str, workers: int, time_limit: float, seed: int) -> Row:
    """Solve `path` with only the weights `part` names kept (`all`, `S5`, `not S5`)."""
    from models.common import SOFT_IDS
    from scheduler.loader import load_instance
    from scheduler.solve import solve

    instance = load_instance(path)
    weights = instance.policy.weights
    if part != "all":
        keep_cost = part == "S5"
        zeroed: dict[str, int] = {
            soft_id: 0 for soft_id in SOFT_IDS if (soft_id == "S5") != keep_cost
        }
        weights = weights.model_copy(update=zeroed)
    policy = instance.policy.model_copy(update={"weights": weights})
    result = solve(
        instance.model_copy(update={"policy": policy}),
        time_limit=time_limit,
        workers=workers,
        seed=seed,
    )
    return {
        "status": result.status,
        "objective": result.objective,
        "bound": result.bound,
        "gap_pct": None if result.gap is None else 100 * result.gap,
        "first_s": result.time_to_first,
        "runtime_s": result.runtime,
    }


def day_count_bound(path: str, time_limit: float) -> Row:
    """The cheapest trainer days, fares and venue that cover every position's slots, timing
    left out: a lower bound on S5 (one event per instance)."""
    from ortools.sat.python import cp_model

    from scheduler.compile import compile_instance
    from scheduler.loader import load_instance
    from scheduler.model import build_model, day_capacity

    started = time.perf_counter()
    problem = compile_instance(load_instance(path))
    if len(problem.events) != 1:
        raise ValueError("the day-count bound is for one event")
    event = problem.events[0]
    # The relaxation's candidates: who may fill which position, on which days.
    tm = build_model(problem, relaxation=True)
    who: dict[tuple[int, int], set[int]] = defaultdict(set)
    for k_idx, _period, need, t in tm.vars.staff:
        who[k_idx, need].add(t)

    model = cp_model.CpModel()
    slots_of: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for (k_idx, need), trainers in who.items():
        offering = problem.offerings[k_idx]
        per_trainer = offering.num_sessions * offering.length
        demand = per_trainer * offering.needs[need].count
        shares = [model.new_int_var(0, per_trainer, f"k{k_idx}n{need}t{t}") for t in trainers]
        model.add(sum(shares) == demand)
        for t, share in zip(trainers, shares, strict=True):
            slots_of[t].append(share)
    cost = []
    for t, shares in slots_of.items():
        trainer = problem.trainers[t]
        most_days = len(tm.trainer_days(t))
        if trainer.max_days is not None:
            most_days = min(most_days, trainer.max_days)
        days = model.new_int_var(0, most_days, f"days_t{t}")
        model.add(sum(shares) <= day_capacity(problem, t, event.idx) * days)
        cost.append(trainer.fee_units * days)
        fare = problem.fare_units.get((trainer.home, event.province_idx), 0)
        if trainer.home != event.province_idx and fare:
            engaged = model.new_bool_var(f"engaged_t{t}")
            model.add(days <= most_days * engaged)
            cost.append(fare * engaged)
    venue = min(problem.venues[v].daily_units * event.num_days for v in event.venues)
    model.minimize(sum(cost) + venue)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    status = solver.solve(model)
    solved = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return {
        "status": solver.status_name(status),
        "objective": round(solver.objective_value) if solved else None,
        "bound": solver.best_objective_bound if solved else None,
        "runtime_s": time.perf_counter() - started,
    }


def main() -> None:
    parser = instance_parser(__doc__, PROVINCES, "gap.csv")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rows: list[Row] = []
    for path in args.instances:
        name = Path(path).stem
        for part in OBJECTIVES:
            row = run_isolated(solve_part, path, part, args.workers, args.time_limit, args.seed)
            rows.append({"instance": name, "objective_of": part} | row)
        row = run_isolated(day_count_bound, path, args.time_limit)
        rows.append({"instance": name, "objective_of": "S5 day counts"} | row)
    print_table(rows, COLUMNS)
    write_csv(args.out, rows, COLUMNS)
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
    finish()
