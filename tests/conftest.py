"""Shared fixtures: paths to test data and bundled instances, and a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
INSTANCES = ROOT / "instances"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


ITC = ROOT / "benchmarks" / "data" / "itc2007"
