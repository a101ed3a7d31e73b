"""``python -m bench.artifact BUILD_DIR``: what each Lambda of a `sam build` ships and how long its handler takes
to import (the part of a cold start that is ours), as a Markdown table.

``python -m bench.artifact --handlers [--source SRC]``: no build needed; each handler of template.yaml imported from
SRC (default: this checkout's src/) with this interpreter's dependencies, in fresh interpreters, as a table of the
median CPU time and of the heavy packages the import pulls in; ``--importtime N`` adds each handler's N slowest
modules by ``python -X importtime`` (which inflates every figure, so read it for proportions only).

Import time is the median of several fresh interpreters importing the handler with nothing but the artifact's code
and src/requirements.txt installed for this machine (the built wheels are arm64), no site-packages, reading the
bytecode the build ships (src/Makefile compiles every module, checked against its source's hash; the packages
installed here are compiled the same way) and writing none, as in Lambda, whose package directory is read-only.
The last column is the same import without bytecode, as SAM's own Python builder shipped it: every cold start
compiled every module it imported.
"""

import argparse
import compileall
import io
import os
import py_compile
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from autotuner_local.template import function_properties, load_template, resources_of_type
from bench import handler_imports

ROOT = Path(__file__).resolve().parents[1]
RUNS = 7
# CPU time, not wall time: it does not grow when other work shares the machine.
_IMPORT = (
    "import importlib, sys, time\n"
    "started = time.process_time()\n"
    "importlib.import_module({module!r})\n"
    "ours = sum(1 for name in sys.modules if name.split('.')[0] == 'autotuner')\n"
    "print((time.process_time() - started) * 1000, ours)\n"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", type=Path, nargs="?", help="the --build-dir of a `sam build`")
    parser.add_argument("--runs", type=int, default=RUNS, help="fresh interpreters per handler (median reported)")
    parser.add_argument("--handlers", action="store_true", help="import each handler from source, no build")
    parser.add_argument("--source", type=Path, default=ROOT / "src", help="with --handlers: the src/ to import")
    parser.add_argument("--importtime", type=int, default=0, metavar="N", help="with --handlers: N slowest modules")
    arguments = parser.parse_args(argv)
    template = load_template(ROOT / "template.yaml")
    if arguments.handlers:
        handler_imports.table(template, arguments.source.resolve(), arguments.runs, arguments.importtime)
        return 0
    if arguments.build_dir is None:
        parser.error("give a BUILD_DIR, or --handlers")
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
    functions = sorted(resources_of_type(template, "AWS::Serverless::Function"))
    modules = {name: str(function_properties(template, name)["Handler"]).rsplit(".", 1)[0] for name in functions}
    for name in functions:
        shutil.copytree(build_dir / name / "autotuner", scratch / name / "autotuner")
    compileall.compile_dir(packages, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    as_built = {name: _import_samples(packages, scratch / name, modules[name], runs) for name in _progress(functions)}
    without = scratch / "no-bytecode"  # an empty cache directory: the bytecode beside the sources is not read
    uncompiled = {
        name: _import_samples(packages, scratch / name, modules[name], runs, pycache=without)
        for name in _progress(functions)
    }
    print(
        "| Function | Zipped (MB) | Our code (KB) | Packages of ours | Our modules imported "
        "| Import (CPU ms) | Import without bytecode (CPU ms) |"
    )
    print("|---|---:|---:|---|---:|---:|---:|")
    for name in functions:
        ours = build_dir / name / "autotuner"
        subpackages = ", ".join(sorted(p.name for p in ours.iterdir() if p.is_dir() and p.name != "__pycache__"))
        print(
            f"| {name} | {_zipped_mb(build_dir / name):.1f} | {_size_kb(ours):.0f} | {subpackages} "
            f"| {as_built[name][0][1]} | {_median_ms(as_built[name]):.0f} | {_median_ms(uncompiled[name]):.0f} |"
        )


def _progress(functions: list[str]) -> Iterator[str]:
    for position, name in enumerate(functions, 1):
        print(f"  importing {name} ({position}/{len(functions)})", file=sys.stderr, flush=True)
        yield name


def _size_kb(directory: Path) -> float:
    return sum(f.stat().st_size for f in directory.rglob("*") if f.is_file() and "__pycache__" not in f.parts) / 1024


def _zipped_mb(directory: Path) -> float:
    """The deployment package's size as Lambda counts it: the zip `sam deploy` uploads, bytecode included."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory))
    return buffer.tell() / 1_000_000


def _median_ms(samples: list[list[str]]) -> float:
    return statistics.median(float(sample[0]) for sample in samples)


def _import_samples(
    packages: Path, scratch: Path, module: str, runs: int, *, pycache: Path | None = None
) -> list[list[str]]:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": f"{scratch}{os.pathsep}{packages}",
        "PYTHONDONTWRITEBYTECODE": "1",  # as in Lambda: the package is read-only
        **({"PYTHONPYCACHEPREFIX": str(pycache)} if pycache else {}),
        "POWERTOOLS_SERVICE_NAME": "autotuner",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    return [
        subprocess.run(
            [sys.executable, "-S", "-c", _IMPORT.format(module=module)],
            capture_output=True, text=True, check=True, env=environment, cwd=scratch,
        ).stdout.split()
        for _ in range(runs)
    ]  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
