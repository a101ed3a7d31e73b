"""``python -m bench.artifact BUILD_DIR``: what each Lambda of a `sam build` ships and how long its handler takes
to import (the part of a cold start that is ours), as a Markdown table.

Import time is the median of several fresh interpreters importing the handler with nothing but the artifact's code
and src/requirements.txt installed for this machine (the built wheels are arm64), no site-packages, and no bytecode
cache (Lambda's package directory is read-only, so a cold start compiles what it imports).
"""

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from autotuner_local.template import function_properties, load_template, resources_of_type

ROOT = Path(__file__).resolve().parents[1]
RUNS = 7
_IMPORT = (
    "import importlib, time\n"
    "started = time.perf_counter()\n"
    "importlib.import_module({module!r})\n"
    "print((time.perf_counter() - started) * 1000)\n"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", type=Path, help="the --build-dir of a `sam build`")
    parser.add_argument("--runs", type=int, default=RUNS, help="fresh interpreters per handler (median reported)")
    arguments = parser.parse_args(argv)
    template = load_template(ROOT / "template.yaml")
    with tempfile.TemporaryDirectory() as scratch:
        packages = Path(scratch) / "packages"
        _install_requirements(packages)
        _table(template, arguments.build_dir, packages, Path(scratch), arguments.runs)
    return 0


def _install_requirements(target: Path) -> None:
    print("installing src/requirements.txt for this machine ...", file=sys.stderr, flush=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", str(target),
         "-r", str(ROOT / "src" / "requirements.txt")],
        check=True,
    )  # fmt: skip


def _table(template: dict[str, Any], build_dir: Path, packages: Path, scratch: Path, runs: int) -> None:
    print("| Function | Zipped (MB) | Our code (KB) | Packages of ours | Handler import (ms) |")
    print("|---|---:|---:|---|---:|")
    for name in sorted(resources_of_type(template, "AWS::Serverless::Function")):
        built = build_dir / name
        handler = str(function_properties(template, name)["Handler"])
        module = handler.rsplit(".", 1)[0]
        ours = built / "autotuner"
        subpackages = ", ".join(sorted(p.name for p in ours.iterdir() if p.is_dir() and p.name != "__pycache__"))
        print(
            f"| {name} | {_zipped_mb(built):.1f} | {_size_kb(ours):.0f} | {subpackages} "
            f"| {_import_ms(ours, packages, scratch / name, module, runs):.0f} |",
            flush=True,
        )


def _size_kb(directory: Path) -> float:
    return sum(f.stat().st_size for f in directory.rglob("*") if f.is_file() and "__pycache__" not in f.parts) / 1024


def _zipped_mb(directory: Path) -> float:
    """The deployment package's size as Lambda counts it: the zip `sam deploy` uploads."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(directory))
    return buffer.tell() / 1_000_000


def _import_ms(ours: Path, packages: Path, scratch: Path, module: str, runs: int) -> float:
    shutil.copytree(ours, scratch / "autotuner")
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": f"{scratch}{os.pathsep}{packages}",
        "PYTHONDONTWRITEBYTECODE": "1",  # as in Lambda: the package is read-only, so every cold start compiles it
        "POWERTOOLS_SERVICE_NAME": "autotuner",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    timings = [
        float(
            subprocess.run(
                [sys.executable, "-S", "-c", _IMPORT.format(module=module)],
                capture_output=True, text=True, check=True, env=environment, cwd=scratch,
            ).stdout
        )
        for _ in range(runs)
    ]  # fmt: skip
    return statistics.median(timings)


if __name__ == "__main__":
    sys.exit(main())
