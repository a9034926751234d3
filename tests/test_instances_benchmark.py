"""benchmarks/instances.py: each run judged against its instance's target, and the seeds
summed up."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.instances import summarise, target_met


def run(instance: str, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"instance": instance, "workers": 2, "feasible": True}
    return row | fields


@pytest.mark.parametrize(
    ("row", "met"),
    [
        (run("sulsel", status="OPTIMAL", runtime_s=9.9, first_s=0.3, gap_pct=0.0), True),
        (run("sulsel", status="OPTIMAL", runtime_s=16.5, first_s=0.3, gap_pct=0.0), False),
        (run("bali", status="FEASIBLE", runtime_s=8.0, first_s=0.6, gap_pct=0.5), False),
        (run("ntt", status="OPTIMAL", runtime_s=2.7, feasible=False), False),
        (run("tot-1999", status="FEASIBLE", runtime_s=60.2, first_s=1.2, gap_pct=0.9), True),
        (run("tot-1999", status="FEASIBLE", runtime_s=60.2, first_s=1.2, gap_pct=2.9), False),
        (run("tot-1999", status="FEASIBLE", runtime_s=60.2, first_s=2.5, gap_pct=0.5), False),
        (run("tot-1999", status="OPTIMAL", runtime_s=30.0, first_s=1.0, gap_pct=None), True),
        (run("tot-1999", status="UNKNOWN"), False),
    ],
)
def test_a_run_meets_the_target_of_its_kind_of_instance(row: dict[str, Any], met: bool) -> None:
    assert target_met(row) is met


def test_the_seeds_of_an_instance_and_workers_are_summed_up() -> None:
    rows = [
        run("sulsel", seed=0, status="OPTIMAL", runtime_s=16.5, gap_pct=0.0),
        run("sulsel", seed=1, status="OPTIMAL", runtime_s=8.0, gap_pct=0.0),
        run("sulsel", seed=2, status="FEASIBLE", runtime_s=60.1, gap_pct=3.5),
        run("ntt", seed=0, status="OPTIMAL", runtime_s=2.7, gap_pct=0.0),
    ]
    sulsel, ntt = summarise(rows)
    assert sulsel == {
        "instance": "sulsel",
        "workers": 2,
        "runs": 3,
        "proven": 2,
        "target_met": 1,
        "proof_min_s": 8.0,
        "proof_median_s": 12.25,
        "proof_max_s": 16.5,
        "gap_median_pct": 0.0,
    }
    assert (ntt["runs"], ntt["proven"], ntt["target_met"]) == (1, 1, 1)


def test_a_summary_without_a_proof_has_no_proof_times() -> None:
    (bali,) = summarise([run("bali", seed=s, status="FEASIBLE", gap_pct=1.4) for s in (0, 1)])
    assert (bali["proven"], bali["proof_median_s"], bali["gap_median_pct"]) == (0, None, 1.4)
