"""What `pip install .` installs: the wheel built from this checkout carries the stack's template and state
machines byte for byte (the demo deploys them from the installed package), the `autotuner` command, and a `demo`
extra with what the emulator and the charts import; and a new virtual environment with nothing but
`pip install '.[demo]'` runs `autotuner --version` and `autotuner demo`."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

from tests.demo_output import demo_results

ROOT = Path(__file__).resolve().parents[2]
BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "template.yaml", "statemachine", "templates", "src", "tools")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
BUILD_SYSTEM = PYPROJECT["build-system"]

pytestmark = pytest.mark.tools


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """Built from a copy of the checkout (symbolic links kept), so the build leaves nothing in the worktree."""
    try:
        backend = f"setuptools=={version('setuptools')}"
    except PackageNotFoundError:
        pytest.fail("setuptools is not installed; run `make test`, which installs requirements/build.txt")
    assert backend in BUILD_SYSTEM["requires"], "requirements/build.txt differs from pyproject.toml's build-system"
    source, out = copy_checkout(tmp_path_factory.mktemp("source")), tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), "."],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("*.whl")
    return zipfile.ZipFile(built)


def copy_checkout(destination: Path) -> Path:
    """What a build reads from this checkout (symbolic links kept), so that building leaves nothing in it."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in BUILD_INPUTS:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, destination / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, destination / name)
    return destination


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


# Nothing of the test run may reach the new environment: not the checkout (PYTHONPATH), not the test venv, not the
# tests' AWS and Powertools settings.
NOT_INHERITED = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "AWS_", "POWERTOOLS_")


@pytest.mark.slow
@pytest.mark.install
def test_a_new_environment_with_only_the_demo_extra_runs_the_command_and_the_demo(tmp_path: Path) -> None:
    """`pip install '<checkout>[demo]'` into a new virtual environment (this Python 3.13, no system site packages)
    is all `autotuner --version` and `autotuner demo` need, run from a directory outside the checkout. pip does
    not byte-compile what it installs (--no-compile: it halves the install; the demo compiles what it imports),
    and the demo tunes two of its functions (a sweep and an adaptive search, with its cost curve drawn) at five
    calls a size (--num 5, the least a run accepts): the whole workflow and every package, quicker. The whole demo
    runs as a command in tests/integration/test_cli.py."""
    checkout = copy_checkout(tmp_path / "checkout")
    venv, elsewhere = tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(NOT_INHERITED)} | {
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONNOUSERSITE": "1",
    }

    def run(*command: str | Path, timeout: float) -> str:
        return _step([str(part) for part in command], cwd=elsewhere, environment=environment, timeout=timeout)

    run(sys.executable, "-m", "venv", venv, timeout=300)
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()
    python = venv / "bin" / "python"
    pip = (python, "-m", "pip", "--disable-pip-version-check", "--no-input")
    run(*pip, "install", "--no-compile", f"{checkout}[demo]", timeout=1800)

    version = run(venv / "bin" / "autotuner", "--version", timeout=60)
    assert version.strip() == f"autotuner {PYPROJECT['project']['version']}"  # what pip installed
    packages = ("autotuner", "autotuner_cli", "autotuner_local")
    where = f"import {', '.join(packages)}; print({', '.join(f'{p}.__file__' for p in packages)})"
    for module in run(python, "-c", where, timeout=60).split():
        assert Path(module).resolve().is_relative_to(venv.resolve()), f"{module}: not the installed package"
    out = elsewhere / "out"
    only = ("orders-api", "ml-inference-adaptive")  # a sweep and a search with its curve: every package at work
    demo = run(venv / "bin" / "autotuner", "demo", "--num", "5", "--only", ",".join(only), "--out", out, timeout=1200)
    results = demo_results(demo, out, only)
    assert all(result["outcome"] == "applied" for result in results.values())


def _step(command: list[str], *, cwd: Path, environment: dict[str, str], timeout: float) -> str:
    """The command's output; a failure (or a time-out) fails the test with what ran and the end of what it said."""
    try:
        done = subprocess.run(
            command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as expired:
        stdout, stderr = (
            part.decode(errors="replace") if isinstance(part, bytes) else part or ""
            for part in (expired.stdout, expired.stderr)
        )
        pytest.fail(f"`{' '.join(command)}` still running after {timeout:.0f} s\n{_tail(stdout, stderr)}")
    if done.returncode != 0:
        pytest.fail(f"`{' '.join(command)}` exited {done.returncode}\n{_tail(done.stdout, done.stderr)}")
    return done.stdout


def _tail(stdout: str, stderr: str, characters: int = 3000) -> str:
    return f"--- stdout (end) ---\n{stdout[-characters:]}\n--- stderr (end) ---\n{stderr[-characters:]}"
