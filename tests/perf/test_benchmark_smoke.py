"""The fleet benchmark runs end to end on a tiny fleet (its real sizes are for ``nox -s bench``, not CI)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "fleet.py"


def test_the_benchmark_times_every_path_as_a_whole_process(tmp_path: Path) -> None:
    saved = tmp_path / "results.json"
    command = [sys.executable, str(BENCHMARK), "--sizes", "20", "--repeat", "1", "--naive-max", "20"]
    result = subprocess.run([*command, "--json", str(saved)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    (size,) = json.loads(saved.read_text(encoding="utf-8"))
    assert set(size["runs"]) == {"synth", "floor", "naive", "check", "synth, one app changed", "phases"}
    assert all(run["wall"] > 0 and run["peak_mib"] > 0 for runs in size["runs"].values() for run in runs)
    assert "synth / floor:" in result.stdout
    assert "naive / synth:" in result.stdout
    assert "load average" in result.stdout
