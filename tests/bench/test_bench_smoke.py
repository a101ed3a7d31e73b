"""The benchmark is not a test (it prints a table); this only checks that its command still runs, on the model
families and on one real workload, and that it says so when the real workloads are not there."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", "--workers", "1", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
    )  # fmt: skip


def test_the_benchmark_command_runs_and_prints_its_table(tmp_path: Path, real_data: Path) -> None:
    page, chart = tmp_path / "benchmarks.md", tmp_path / "benchmark.png"

    result = run_bench("--quick", "--real-data", str(real_data), "--out", str(page), "--chart", str(chart))

    assert result.returncode == 0, result.stderr[-2000:]
    assert "adaptive (ours)" in result.stdout
    assert "reference tool" in result.stdout
    assert "made-up-thumbnailer (log-log)" in result.stdout
    assert "made-up-thumbnailer (monotone)" in result.stdout
    text = page.read_text()
    assert "| workload | method | invocations |" in text
    assert "## Why the misses (written by `python -m bench`" in text
    assert "## Real workloads: functions other people measured on AWS Lambda" in text
    assert "| made-up-thumbnailer | log-log |" in text
    assert "example/measurements at 0123456: results.csv" in text
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_without_the_real_workloads_it_says_so_and_scores_the_families(tmp_path: Path) -> None:
    absent = tmp_path / "real-workloads.json"
    page = tmp_path / "benchmarks.md"

    result = run_bench("--quick", "--workloads", "io-bound", "--real-data", str(absent), "--out", str(page))

    assert result.returncode == 0, result.stderr[-2000:]
    assert "Real workloads not scored: cannot read" in result.stdout
    assert "io-bound" in result.stdout
    assert "Not scored in this run: `real-workloads.json` was not found" in page.read_text()


def test_asked_for_the_real_workloads_alone_without_them_it_fails_with_the_reason(tmp_path: Path) -> None:
    result = run_bench("--real", "--real-data", str(tmp_path / "absent.json"))

    assert result.returncode != 0
    assert "Real workloads not scored: cannot read" in result.stderr
