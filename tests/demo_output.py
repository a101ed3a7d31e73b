"""What every run of `autotuner demo` leaves, however it was installed: each target's table with its chosen
configuration, the end of the run, and in the output directory the HTML report with a chart per target, the
results and a PNG per target; for an adaptive target, its cost curve in the results, the printout and the chart."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from autotuner_cli.demo import DEMO_TARGETS


def demo_results(stdout: str, out: Path) -> dict[str, Any]:
    """The demo's results by target, once its printed tables and its files agree with them."""
    assert "the emulator has stopped" in stdout, stdout[-2000:]
    results: dict[str, Any] = json.loads((out / "autotuner-demo-results.json").read_text())
    assert list(results) == [target.name for target in DEMO_TARGETS]
    for index, target in enumerate(DEMO_TARGETS, start=1):
        section = stdout.split(f"[{index}/{len(DEMO_TARGETS)}] {target.name} ", 1)[1]
        chosen = results[target.name]["power"]
        assert re.search(rf"^\*\s+{chosen} MB ", section, re.MULTILINE), f"{target.name}: {chosen} MB not marked"
        assert (out / f"{target.name}.png").read_bytes().startswith(b"\x89PNG\r\n")
        curve = results[target.name]["search"]["curve"]
        assert (curve is not None) == target.adaptive, f"{target.name}: only the adaptive search fits a cost curve"
        assert ("\n  Cost curve: " in section.split("\n[")[0]) == target.adaptive
    report = (out / "autotuner-demo-report.html").read_text()
    HTMLParser().feed(report)
    assert report.count("<svg") == len(DEMO_TARGETS)
    assert report.count('class="curve-line"') == sum(t.adaptive for t in DEMO_TARGETS)
    return results
