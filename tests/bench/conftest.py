"""A small real-workloads file in the shape of ``real-workloads.json``, with made-up figures, so that the
benchmark's tests never depend on the data beside the repository."""

import json
from pathlib import Path
from typing import Any

import pytest

SOURCE = {"repo": "example/measurements", "commit": "0123456789abcdef", "paths": ["results.csv"], "how": "made up"}


def per_invocation_entry() -> dict[str, Any]:
    return {
        "name": "made-up-thumbnailer",
        "set": "per-invocation",
        "what": "python: a thumbnail",
        "platform": "AWS Lambda us-east-1, x86_64, measured 2020-11-11",
        "source": SOURCE,
        "sizes": [
            {
                "memory_mb": 256,
                "warm_ms": [400.0, 420.0, 0.0, 380.0],
                "max_memory_used_mb": 180.0,
                "cold_exec_init_ms": [[900.0, 150.0], [0.0, 0.0], [950.0, 160.0]],
            },
            {
                "memory_mb": 512,
                "warm_ms": [200.0, 200.0, 200.0],
                "max_memory_used_mb": 181.0,
                "cold_exec_init_ms": [[500.0, 140.0]],
            },
            {
                "memory_mb": 1024,
                "warm_ms": [120.0, 130.0, 2000.0],
                "max_memory_used_mb": 182.0,
                "cold_exec_ms": [300.0],  # no INIT published at this size
            },
        ],
    }


def aggregate_entry() -> dict[str, Any]:
    means = {128: [800.0, 820.0], 192: [560.0], 196: [300.0], 200: [540.0], 204: [530.0], 256: [400.0, 410.0]}
    means |= {512: [230.0], 1024: [150.0]}
    return {
        "name": "made-up-resize",
        "set": "aggregate",
        "what": "python: resize",
        "platform": "AWS Lambda us-east-2 (aws-lambda-power-tuning runs)",
        "source": SOURCE,
        "points": [
            {"memory_mb": m, "mean_ms": v, "n": 10, "run": run}
            for m, values in means.items()
            for run, v in enumerate(values)
        ],
    }


def write_real_data(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"about": "made-up figures for tests", "workloads": entries}))
    return path


@pytest.fixture
def real_data(tmp_path: Path) -> Path:
    return write_real_data(tmp_path / "real-workloads.json", [per_invocation_entry(), aggregate_entry()])
