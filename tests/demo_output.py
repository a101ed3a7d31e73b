"""What every run of `autotuner demo` leaves, however it was installed: each target's table with its chosen
configuration, the end of the run, and in the output directory the HTML report with a chart per target, the
results and a PNG per target; for an adaptive target, its cost curve in the results, the printout and the chart."""

import json
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from autotuner_cli.demo_targets import DEMO_NAMES, DEMO_TARGETS


def demo_results(stdout: str, out: Path, names: Sequence[str] = DEMO_NAMES) -> dict[str, Any]:
    """The demo's results by target (``names``: those it was asked to tune), once its printed tables and its files
    agree with them."""
    assert "the emulator has stopped" in stdout, stdout[-2000:]
    results: dict[str, Any] = json.loads((out / "autotuner-demo-results.json").read_text())
    targets = [target for target in DEMO_TARGETS if target.name in names]
    assert list(results) == [target.name for target in targets]
    for index, target in enumerate(targets, start=1):
        section = stdout.split(f"[{index}/{len(targets)}] {target.name} ", 1)[1]
        chosen = results[target.name]["power"]
        assert re.search(rf"^\*\s+{chosen} MB ", section, re.MULTILINE), f"{target.name}: {chosen} MB not marked"
        assert (out / f"{target.name}.png").read_bytes().startswith(b"\x89PNG\r\n")
        curve = results[target.name]["search"]["curve"]
        searched = target.adaptive or target.on_traffic  # a sweep of fixed sizes fits no curve
        assert (curve is not None) == searched, f"{target.name}: only a searching run fits a cost curve"
        assert ("\n  Cost curve: " in section.split("\n[")[0]) == searched
    report = (out / "autotuner-demo-report.html").read_text()
    HTMLParser().feed(report)
    assert report.count("<svg") == len(targets)
    assert report.count('class="curve-line"') == sum(t.adaptive or t.on_traffic for t in targets)
    return results
