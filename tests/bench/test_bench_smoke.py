"""The benchmark is not a test (it prints a table); this only checks that its command still runs."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_command_runs_and_prints_its_table(tmp_path: Path) -> None:
    page, chart = tmp_path / "benchmarks.md", tmp_path / "benchmark.png"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--workers", "1", "--out", str(page), "--chart", str(chart)],
        capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "adaptive (ours)" in result.stdout
    assert "reference tool" in result.stdout
    assert "| workload | method | invocations |" in page.read_text()
    assert "## Why the misses (written by `python -m bench`" in page.read_text()
    assert chart.read_bytes().startswith(b"\x89PNG")
