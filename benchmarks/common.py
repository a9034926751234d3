"""Shared benchmark plumbing: each run in a fresh process (for honest peak memory), a table, CSV."""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import resource
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

Row = dict[str, Any]

ROOT = Path(__file__).resolve().parent.parent


def instance_parser(doc: str, names: Sequence[str], out_name: str) -> argparse.ArgumentParser:
    """The command line of a benchmark over instance files: the files (default: `names` in
    `instances/`), `--time-limit`, `--seed` and `--out` (default: `out_name` in results/)."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "instances", nargs="*", default=[str(ROOT / "instances" / n) for n in names]
    )
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / out_name)
    return parser


def _child(task: Callable[..., Row], args: tuple[Any, ...], queue: Any) -> None:
    try:
        row = task(*args)
    except Exception as exc:  # reported as a row, so one failure does not stop the table
        row = {"status": f"ERROR: {exc}"}
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    row["peak_mib"] = round(peak_kib / 1024, 1)
    queue.put(row)


def run_isolated(task: Callable[..., Row], *args: Any) -> Row:
    """Run `task(*args)` in a new process; its row gains `peak_mib`, the process's peak memory."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(task, args, queue))
    process.start()
    row: Row = queue.get()
    process.join()
    status = row.get("status")
    if isinstance(status, str) and status.startswith("ERROR"):
        _FAILED.append(status)
        print(f"benchmark task {getattr(task, '__name__', task)}: {status}", file=sys.stderr)
    return row


_FAILED: list[str] = []
"""The errors of the tasks run so far (`run_isolated`)."""


def finish() -> None:
    """Exit with a non-zero status when a task failed: a table with a row missing is never
    taken for a result."""
    if _FAILED:
        raise SystemExit(f"{len(_FAILED)} benchmark task(s) failed; see the lines above")


def format_value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def print_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A fixed-width text table of `rows`, printed and returned."""
    cells = [[format_value(row.get(c)) for c in columns] for row in rows]
    widths = [
        max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)
    ]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    text = "\n".join(lines)
    print(text)
    sys.stdout.flush()
    return text


def markdown_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """The same rows as a markdown table."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(format_value(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_csv(path: Path, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """Write `rows` to `path` as CSV with a header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: format_value(row.get(c)) for c in columns})
