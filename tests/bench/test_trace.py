"""``python -m bench.trace`` on what it is given: a real workload whose data is missing is an error naming the file
and the option, not a traceback; a family needs no data."""

from pathlib import Path

import pytest
from bench.trace import main


def test_a_real_workload_without_its_data_names_the_file_and_the_option(tmp_path: Path) -> None:
    missing = tmp_path / "real-workloads.json"
    with pytest.raises(SystemExit) as stopped:
        main(["--workloads", "sebs-120-uploader", "--real-data", str(missing), "--seeds", "1"])
    assert str(stopped.value.code).startswith(f"cannot read {missing}")
    assert "Pass --real-data PATH" in str(stopped.value.code)


def test_a_family_is_traced_without_real_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--workloads", "io-bound", "--real-data", str(tmp_path / "none.json"), "--seeds", "1"]) == 0
    assert capsys.readouterr().out.startswith("io-bound: ours ")
