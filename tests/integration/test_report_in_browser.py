"""The HTML report as a person sees it: headless Chromium renders it offline and a screenshot is checked."""

import contextlib
import os
import re
import signal
import time
from pathlib import Path

import pytest
from bench.chromium import ChromiumError, run_headless
from PIL import Image, ImageChops

from autotuner.reports.charts.marks import CHOSEN_COLOUR, COST_COLOUR, P50_COLOUR, REJECTED_COLOUR
from autotuner.reports.html import render_html
from autotuner.reports.savings import savings_rows
from tests.unit.reports import (
    adaptive_output,
    applied_ledger,
    crowded_output,
    io_bound_output,
    memory_floor_output,
    tuned_output,
)

WINDOW = (1200, 1600)
TIMEOUT_S = 60


def screenshot(html: Path, png: Path, profile: Path) -> None:
    """Renders ``html`` into ``png``; every process Chromium started is gone when this returns."""
    run_chromium([f"--screenshot={png}", html.as_uri()], profile)


def dom_after_scripts(html: Path, profile: Path) -> str:
    """The page's DOM once its scripts have run, as Chromium lays it out in the test's window."""
    return run_chromium(["--dump-dom", html.as_uri()], profile)


def run_chromium(arguments: list[str], profile: Path) -> str:
    """Chromium's standard output; every process it started is gone when this returns."""
    try:
        stdout = run_headless(arguments, profile, WINDOW, TIMEOUT_S)
    except ChromiumError as error:
        pytest.fail(str(error))
    assert_no_process_left(profile)
    return stdout


def processes_using(profile: Path) -> list[int]:
    """Live processes whose command line names ``profile`` (a directory only this test's Chromium uses)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if str(profile) in (proc / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(proc.name))
        except OSError:
            continue  # it exited while being read
    return found


def assert_no_process_left(profile: Path) -> None:
    deadline = time.monotonic() + 5
    while (left := processes_using(profile)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:  # started by this test (they carry its profile directory): end them, then fail
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert left == [], f"Chromium processes outlived the screenshot: {left}"


def near(image: Image.Image, colour: str, tolerance: int = 30) -> Image.Image:
    """A mask: white where ``image`` is within ``tolerance`` of ``colour`` in every channel."""
    difference = ImageChops.difference(image, Image.new("RGB", image.size, colour))
    red, green, blue = difference.split()
    distance = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    return distance.point(lambda value: 255 if value <= tolerance else 0)


def count(mask: Image.Image) -> int:
    return mask.histogram()[255]


@pytest.mark.tools
def test_the_report_renders_in_a_browser_with_its_chart(tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    html.write_text(
        render_html(
            [("image-resizer", tuned_output()), ("orders-api", io_bound_output())],
            generated_at="2025-06-01 09:30 UTC",
            note="Targets in this report are emulated",
        )
    )
    png = tmp_path / "report.png"
    screenshot(html, png, tmp_path / "profile")

    assert png.exists(), "Chromium wrote no screenshot"
    with Image.open(png) as opened:
        image = opened.convert("RGB")
    assert image.size == WINDOW
    colours = image.getcolors(maxcolors=WINDOW[0] * WINDOW[1])
    assert colours is not None
    assert len(colours) > 500, "the page rendered as a few flat colours"
    ink = image.convert("L").point(lambda value: 255 if value < 235 else 0)
    assert count(ink) > 0.03 * WINDOW[0] * WINDOW[1], "the page is almost blank"

    # The first chart is in view: the p50 line's orange appears only in charts, so it locates the plot.
    chart = near(image, P50_COLOUR).getbbox()
    assert chart is not None, "no chart was drawn in the first screen"
    left, top, right, bottom = chart
    assert right - left > 500, "the chart is narrower than the page suggests"
    assert bottom - top > 200
    plot = image.crop(chart)
    drawn = plot.convert("L").point(lambda value: 255 if value < 235 else 0)
    assert count(drawn) > 0.02 * plot.width * plot.height, "the chart area is nearly empty"
    for colour, what in ((COST_COLOUR, "cost line"), (CHOSEN_COLOUR, "chosen mark"), (REJECTED_COLOUR, "failures")):
        assert count(near(plot, colour)) > 50, f"the {what} is missing from the chart"


# Lines each table header takes as laid out: the distinct tops of its text's line boxes.
_MEASURE_HEADERS = """<script>
const headers = [...document.querySelectorAll("thead th")];
const wrapped = headers.filter((th) => {
  const range = document.createRange();
  range.selectNodeContents(th);
  return new Set([...range.getClientRects()].map((box) => Math.round(box.top))).size > 1;
});
document.body.dataset.headers = String(headers.length);
document.body.dataset.wrapped = wrapped.map((th) => th.textContent).join("|");
</script>"""


# Opens every folded section first, as a reader does, so that what the report folds is measured as laid out.
_UNFOLD = '<script>document.querySelectorAll("details").forEach((details) => { details.open = true; });</script>'


def measured_dom(page: str, script: str, tmp_path: Path) -> str:
    """The DOM of ``page`` after ``script`` ran in it, as Chromium lays the page out."""
    html = tmp_path / "report.html"
    # The report's policy forbids every script; this copy drops it to run the measuring one.
    measured = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    assert measured != page
    html.write_text(measured.replace("</body>", _UNFOLD + script + "</body>"))
    return dom_after_scripts(html, tmp_path / "profile")


@pytest.mark.tools
def test_no_table_header_wraps(tmp_path: Path) -> None:
    runs = [("image-resizer", tuned_output()), ("orders-api", io_bound_output())]
    dom = measured_dom(render_html(runs, generated_at="now", savings=applied_ledger()), _MEASURE_HEADERS, tmp_path)
    headers = re.search(r'data-headers="(\d+)"', dom)
    assert headers is not None, "the measuring script did not run"
    assert int(headers[1]) >= 15  # the savings table's too
    wrapped = re.search(r'data-wrapped="([^"]*)"', dom)
    assert wrapped is not None
    assert wrapped[1] == "", f"headers that wrap: {wrapped[1]}"


# Every chart's texts as the browser draws them (its fonts, its metrics): the pairs whose boxes overlap, how many
# texts were measured, and the savings table's rows as laid out. The cost curve's line, band and cheapest-size
# triangle are measured too: the legend's texts must stay clear of all three, and every text of the triangle.
_MEASURE_CHARTS = """<script>
const overlapping = [];
let measured = 0;
const apart = (box, next) =>
  box.right <= next.left || next.right <= box.left || box.bottom <= next.top || next.bottom <= box.top;
const drawn = (element) => { const box = element.getBoundingClientRect(); return box.width > 0 && box.height > 0; };
for (const svg of document.querySelectorAll("figure.chart svg")) {
  const boxes = [...svg.querySelectorAll("text")].map((text) => [text.textContent, text.getBoundingClientRect()]);
  measured += boxes.filter(([, box]) => box.width > 0 && box.height > 0).length;
  boxes.forEach(([text, box], i) => boxes.slice(i + 1).forEach(([other, next]) => {
    if (!apart(box, next)) overlapping.push(`${text} / ${other}`);
  }));
  const legend = boxes.filter(([, box], i) => svg.querySelectorAll("text")[i].closest("g.legend"));
  for (const mark of svg.querySelectorAll("polyline.curve-line, polygon.curve-band, g.curve-optimum path")) {
    const box = mark.getBoundingClientRect();
    const pin = mark.closest("g.curve-optimum");
    const name = pin ? "the curve's cheapest size" : mark.getAttribute("class");
    for (const [text, other] of pin ? boxes : legend) if (!apart(box, other)) overlapping.push(`${text} / ${name}`);
  }
}
// No text under a mark: every text of a chart (the legend's aside, beside its own symbols) against every point.
const covered = [];
for (const svg of document.querySelectorAll("figure.chart svg")) {
  const marks = [...svg.querySelectorAll("g.point circle, g.point path")];
  for (const text of svg.querySelectorAll("text")) {
    const box = text.getBoundingClientRect();
    if (text.closest("g.legend") || !(box.width > 0)) continue;
    for (const mark of marks) {
      if (!apart(box, mark.getBoundingClientRect())) {
        covered.push(`${text.textContent} / ${mark.closest("g").querySelector("title").textContent.split(":")[0]}`);
      }
    }
  }
}
document.body.dataset.covered = covered.join("|");
const diamonds = [...document.querySelectorAll("svg path.diamond")].filter((d) => d.getBBox().width > 0);
const rows = [...document.querySelectorAll("table.savings tbody tr")].filter((tr) => tr.offsetHeight > 0);
const curves = [...document.querySelectorAll("svg polyline.curve-line")].filter(drawn);
document.body.dataset.overlapping = overlapping.join("|");
document.body.dataset.measured = String(measured);
document.body.dataset.diamonds = String(diamonds.length);
document.body.dataset.savings = rows.map((tr) => tr.cells[0].textContent + ":" + tr.cells[5].textContent).join("|");
document.body.dataset.curves = curves.map((line) => line.getAttribute("stroke-dasharray") || "solid").join("|");
document.body.dataset.bands = String([...document.querySelectorAll("svg polygon.curve-band")].filter(drawn).length);
document.body.dataset.pins = String([...document.querySelectorAll("svg g.curve-optimum path")].filter(drawn).length);
</script>"""


@pytest.mark.tools
def test_no_two_texts_of_a_chart_overlap_as_the_browser_draws_them(tmp_path: Path) -> None:
    """Failed sizes close together, sizes measured by one cold start, the current size beside the chosen one, the
    cost curve of an adaptive run (fitting, and not): each chart's labels, numbers and legend, measured in Chromium,
    never overlap, no text lies under a point's mark (the label of six failed sizes beside a cheap measured one is
    lifted clear of it), and the legend stays clear of the curve; the savings section is laid out."""
    runs = [
        ("ml-inference", crowded_output()),
        ("image-resizer", tuned_output()),
        ("orders-api", io_bound_output()),
        ("ml-inference-adaptive", adaptive_output()),
        ("curve-misfit", adaptive_output(fitting=False)),
        ("memory-floor", memory_floor_output()),
    ]
    ledger = applied_ledger()
    dom = measured_dom(render_html(runs, generated_at="now", savings=ledger), _MEASURE_CHARTS, tmp_path)
    names = ("overlapping", "covered", "measured", "diamonds", "savings", "curves", "bands", "pins")
    found = {name: re.search(rf'data-{name}="([^"]*)"', dom) for name in names}
    assert all(found.values()), "the measuring script did not run"
    values = {name: match[1] for name, match in found.items() if match}
    assert int(values["measured"]) > 5 * 20  # every chart's legend, axes and labels were drawn and measured
    assert values["overlapping"] == "", f"texts that overlap: {values['overlapping']}"
    assert values["covered"] == "", f"texts under a mark: {values['covered']}"
    assert int(values["diamonds"]) == 2 * 3 + 1  # two cold-only sizes on three lines, and the legend's
    assert values["curves"].split("|") == ["solid", "6 4"]  # the curve that does not fit is dashed
    assert (values["bands"], values["pins"]) == ("1", "1")  # the fitting curve's band and cheapest-size triangle
    shown = [f"{cells[0]}:{cells[5]}" for cells in savings_rows(ledger)]
    assert values["savings"].split("|") == shown
    assert shown[1] == "thumbnails:unknown"  # no Invocations data: not $0
