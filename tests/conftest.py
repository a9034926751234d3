"""Shared fixtures: paths to test data and bundled instances, and a CLI runner.

Property tests draw new examples on every local run; under `CI` (set by `.ci/run`) they draw
the same ones every time, so that a failure there is one anybody can reproduce, and a
random example found locally is fixed before it can fail an unrelated change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
INSTANCES = ROOT / "instances"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


ITC = ROOT / "benchmarks" / "data" / "itc2007"
