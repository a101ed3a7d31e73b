"""What `pip install .` installs: the wheel built from this checkout carries the stack's template and state
machines byte for byte (the demo deploys them from the installed package), the `autotuner` command, and a `demo`
extra with what the emulator and the charts import."""

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "template.yaml", "statemachine", "templates", "src", "tools")
BUILD_SYSTEM = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]

pytestmark = pytest.mark.tools


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """Built from a copy of the checkout (symbolic links kept), so the build leaves nothing in the worktree."""
    try:
        backend = f"setuptools=={version('setuptools')}"
    except PackageNotFoundError:
        pytest.fail("setuptools is not installed; run `make test`, which installs requirements/build.txt")
    assert backend in BUILD_SYSTEM["requires"], "requirements/build.txt differs from pyproject.toml's build-system"
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    for name in BUILD_INPUTS:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), "."],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("*.whl")
    return zipfile.ZipFile(built)


def test_the_package_carries_the_repository_template_and_state_machines(wheel: zipfile.ZipFile) -> None:
    expected = (
        {"template.yaml": ROOT / "template.yaml"}
        | {f"statemachine/{path.name}": path for path in (ROOT / "statemachine").glob("*.asl.json")}
        | {f"templates/{path.name}": path for path in (ROOT / "templates").glob("*.yaml")}
    )
    packaged = {
        name.removeprefix("autotuner_local/deployment/"): wheel.read(name)
        for name in wheel.namelist()
        if name.startswith("autotuner_local/deployment/")
    }
    assert set(packaged) == set(expected)
    for name, path in expected.items():
        assert packaged[name] == path.read_bytes(), f"the packaged {name} differs from the repository's"


def test_the_package_installs_the_command_and_its_demo_extra(wheel: zipfile.ZipFile) -> None:
    (entry_points,) = [name for name in wheel.namelist() if name.endswith(".dist-info/entry_points.txt")]
    assert "autotuner = autotuner_cli.main:main" in wheel.read(entry_points).decode()
    (metadata,) = [name for name in wheel.namelist() if name.endswith(".dist-info/METADATA")]
    demo_requirements = re.findall(r"Requires-Dist: ([\w-]+).*extra == \"demo\"", wheel.read(metadata).decode())
    assert {"moto", "aws-sam-translator", "pyyaml", "matplotlib"} <= set(demo_requirements)
