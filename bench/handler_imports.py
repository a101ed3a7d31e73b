"""Each Lambda handler's import from source, in fresh interpreters (``python -m bench.artifact --handlers``).

The cold start's part that is ours: the handler module's import, as Lambda runs it before the first event. CPU time,
not wall time, so other work on the machine does not inflate it; the median of several interpreters, the runs of
every handler interleaved so that a busy moment does not fall on one handler only.

Two ways, as the package ships: with bytecode (src/Makefile compiles every module, checked against its source's
hash) and without (SAM's own Python builder ships none, and Lambda's package directory is read-only, so each cold
start compiled every module it imported). The bytecode is written to a scratch cache (PYTHONPYCACHEPREFIX) for
exactly the modules a handler and its first call import, in the artifact's invalidation mode; nothing is written
beside the sources.

The last column adds what a handler's first call imports when its import has not (FIRST_CALL): a handler that
defers the SDKs pays for them there, on the same cold start, so that column is the cold start's imports in all.
"Peak memory" is the interpreter's largest resident set after those imports and the clients a tuning step builds
(FIRST_CLIENTS), the floor of what Lambda reports as Max Memory Used (which adds its runtime client's own part and
what the calls hold), for choosing the functions' memory.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from autotuner_local.template import function_properties, resources_of_type

# What a handler should import only when it needs it (module: what it is), in the order of the table's column.
HEAVY = {
    "boto3": "boto3",
    "botocore.session": "botocore sessions",
    "aws_xray_sdk.core": "X-Ray SDK",
    "aws_lambda_powertools.utilities.parser.models": "Powertools' event models",
}
# What every handler's first call imports if its import has not: a client (boto3) and the Tracer (the X-Ray SDK,
# whose import builds a botocore session). Timed after the handler's import, for the cold start's imports in all.
FIRST_CALL = ["boto3", "aws_xray_sdk.core"]
FIRST_CLIENTS = ["lambda", "dynamodb", "sts"]  # what Prepare and Measure build (sts: a target in another account)
_IMPORT = (
    "import importlib, json, sys, time\n"
    "started = time.process_time()\n"
    "importlib.import_module({module!r})\n"
    "elapsed = (time.process_time() - started) * 1000\n"
    "ours = sum(1 for name in sys.modules if name.split('.')[0] == 'autotuner')\n"
    "heavy = [m for m in {heavy!r} if m in sys.modules]\n"
    "for first_use in {first_call!r}:\n"
    "    importlib.import_module(first_use)\n"
    "with_first_call = (time.process_time() - started) * 1000\n"
    "import boto3, resource\n"
    "clients = [boto3.client(name, region_name='us-east-1') for name in {clients!r}]\n"
    "peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
    "print(json.dumps({{'ms': elapsed, 'ours': ours, 'heavy': heavy, 'with_first_call': with_first_call,\n"
    "                   'peak_mb': peak_mb}}))\n"
)


def table(template: dict[str, Any], source: Path, runs: int, slowest: int) -> None:
    functions = sorted(resources_of_type(template, "AWS::Serverless::Function"))
    by_module: dict[str, list[str]] = defaultdict(list)
    for name in functions:
        by_module[str(function_properties(template, name)["Handler"]).rsplit(".", 1)[0]].append(name)
    samples: dict[str, list[dict[str, Any]]] = defaultdict(list)
    uncompiled: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as scratch:
        bytecode = Path(scratch) / "bytecode"
        for module in by_module:
            _compile_what_it_imports(source, module, Path(scratch), bytecode)
        for run in range(runs):
            print(f"  run {run + 1}/{runs}: {len(by_module)} handlers", file=sys.stderr, flush=True)
            for module in by_module:
                samples[module].append(_sample(source, module, Path(scratch), bytecode))
                uncompiled[module].append(_sample(source, module, Path(scratch), Path(scratch) / "none"))
        print(f"{len(by_module)} handler modules of {source.parent.name}/{source.name}, median of {runs} runs\n")
        print(
            "| Handler module | Functions | Import (CPU ms) | Fastest, slowest | Our modules | Heavy imports "
            "| With the first call's SDK imports (CPU ms) | Import without bytecode (CPU ms) "
            "| The same, with the first call's (CPU ms) | Peak memory, with its clients (MB) |"
        )
        print("|---|---|---:|---:|---:|---|---:|---:|---:|---:|")
        for module, names in by_module.items():
            times = [sample["ms"] for sample in samples[module]]
            heavy = ", ".join(HEAVY[m] for m in HEAVY if m in samples[module][0]["heavy"]) or "none"
            functions_of = ", ".join(name.removesuffix("Function") for name in names)
            print(
                f"| {module.removeprefix('autotuner.handlers.')} | {functions_of} "
                f"| {statistics.median(times):.0f} | {min(times):.0f}, {max(times):.0f} "
                f"| {samples[module][0]['ours']} | {heavy} "
                f"| {_median(samples[module], 'with_first_call'):.0f} "
                f"| {_median(uncompiled[module], 'ms'):.0f} | {_median(uncompiled[module], 'with_first_call'):.0f} "
                f"| {max(sample['peak_mb'] for sample in samples[module]):.0f} |"
            )
        for module in by_module if slowest else ():
            print(f"\n{module}, slowest by `-X importtime` (self / cumulative ms, inflated by the tracing):\n")
            for self_us, cumulative_us, name in _slowest(source, module, Path(scratch), slowest):
                print(f"- {name}: {self_us / 1000:.0f} / {cumulative_us / 1000:.0f}")


def _median(samples: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(sample[key] for sample in samples))


def _environment(source: Path, bytecode: Path) -> dict[str, str]:
    """Bytecode is read from ``bytecode`` only (an empty directory: there is none, every module is compiled, even
    those installed with theirs), and never written, as in Lambda, whose package directory is read-only."""
    inherited = os.environ.get("PYTHONPATH", "")
    return {
        **os.environ,
        "PYTHONPATH": f"{source}{os.pathsep}{inherited}" if inherited else str(source),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPYCACHEPREFIX": str(bytecode),
        "POWERTOOLS_SERVICE_NAME": "autotuner",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


# Imports the handler and its first call's SDKs, then compiles every module that brought in, as src/Makefile does.
_COMPILE = (
    "import importlib, importlib.util, py_compile, sys\n"
    "for name in [{module!r}, *{first_call!r}]:\n"
    "    importlib.import_module(name)\n"
    "for loaded in list(sys.modules.values()):\n"
    "    path = getattr(loaded, '__file__', None) or ''\n"
    "    if path.endswith('.py'):\n"
    "        py_compile.compile(path, cfile=importlib.util.cache_from_source(path), doraise=True,\n"
    "                           invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)\n"
)


def _compile_what_it_imports(source: Path, module: str, scratch: Path, bytecode: Path) -> None:
    subprocess.run(
        [sys.executable, "-c", _COMPILE.format(module=module, first_call=FIRST_CALL)],
        capture_output=True, text=True, check=True, env=_environment(source, bytecode), cwd=scratch,
    )  # fmt: skip


def _sample(source: Path, module: str, scratch: Path, bytecode: Path) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-c",
         _IMPORT.format(module=module, heavy=list(HEAVY), first_call=FIRST_CALL, clients=FIRST_CLIENTS)],
        capture_output=True, text=True, check=True, env=_environment(source, bytecode), cwd=scratch,
    )  # fmt: skip
    sample: dict[str, Any] = json.loads(completed.stdout)
    return sample


def _slowest(source: Path, module: str, scratch: Path, count: int) -> list[tuple[int, int, str]]:
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True, text=True, check=True, env=_environment(source, scratch / "bytecode"), cwd=scratch,
    )  # fmt: skip
    rows: dict[str, tuple[int, int, str]] = {}
    for line in completed.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) == 3 and fields[0].strip().isdigit():
            name = fields[2].strip()
            rows[name] = max(rows.get(name, (0, 0, name)), (int(fields[0]), int(fields[1]), name))
    return sorted(rows.values(), reverse=True)[:count]
