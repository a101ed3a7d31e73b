"""``python -m bench.screenshot`` (``make screenshot``): the README's screenshot, docs/report-screenshot.png.

It runs the demo's adaptive target (a function with a memory floor) in the local emulator as `make demo` does, with
the demo's seed (an invocation's figures depend on the seed, the function, the size and the call, so they are the
full demo's), renders its section of the HTML report as the demo writes it, and has headless Chromium take it at
the report's full width, from the function's name down to its chart.
"""

import argparse
import io
import sys
import tempfile
from pathlib import Path

from PIL import Image

from autotuner.domain.run.output import TuningOutput
from autotuner.reports.html import render_html
from autotuner_cli.demo import EMULATED_NOTE, run_demo
from autotuner_cli.demo_targets import DEMO_TARGETS
from bench.chromium import ChromiumError, run_headless

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "report-screenshot.png"
WIDTH = 1080  # the report's widest layout (its main column's max-width)
HEIGHT = 4000  # taller than the section; the picture is cut below it
MARGIN_PX = 12
TIMEOUT_S = 120
# The run's section down to its chart: the page's title, its banner (the targets are emulated: the README says so),
# the tables below the chart (candidates, exclusions, the run's cost) and the page's footer are left out.
SECTION_TO_CHART = "header.page, .banner, footer, figure.chart ~ * { display: none; } main { padding: 12px 12px 0; }"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"the PNG to write (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    if not args.out.parent.is_dir():
        parser.error(f"--out {args.out}: no directory {args.out.parent}")
    name, output = adaptive_demo_run()
    try:
        args.out.write_bytes(section_png(name, output))
    except ChromiumError as error:
        print(f"screenshot: {error}", file=sys.stderr)
        return 1
    print(f"Wrote {args.out}: {name}, {output.power} MB, outcome {output.outcome.value}.")
    return 0


def adaptive_demo_run() -> tuple[str, TuningOutput]:
    adaptive = [target for target in DEMO_TARGETS if target.adaptive]
    with tempfile.TemporaryDirectory(prefix="autotuner-screenshot-") as scratch:
        ((name, output),) = run_demo(Path(scratch), targets=adaptive, stream=sys.stderr)
    return name, output


def section_png(name: str, output: TuningOutput) -> bytes:
    """The run's section of the report down to its chart, as Chromium draws it, cut just below."""
    page = render_html([(name, output)], title="Lambda Autotuner demo", note=EMULATED_NOTE)
    page = page.replace("</style>", SECTION_TO_CHART + "\n</style>", 1)
    with tempfile.TemporaryDirectory(prefix="autotuner-screenshot-") as scratch:
        html, png = Path(scratch) / "report.html", Path(scratch) / "report.png"
        html.write_text(page)
        run_headless([f"--screenshot={png}", html.as_uri()], Path(scratch) / "profile", (WIDTH, HEIGHT), TIMEOUT_S)
        with Image.open(png) as shot:
            image = shot.convert("RGB")
    cropped = image.crop((0, 0, WIDTH, min(HEIGHT, content_bottom(image) + MARGIN_PX)))
    encoded = io.BytesIO()
    cropped.save(encoded, format="PNG", optimize=True)
    return encoded.getvalue()


def content_bottom(image: Image.Image) -> int:
    """The lowest row holding anything but the page's background (the colour of the bottom-left pixel)."""
    background = image.getpixel((0, image.height - 1))
    for row in range(image.height - 1, -1, -1):
        if any(image.getpixel((column, row)) != background for column in range(0, image.width, 2)):
            return row + 1
    raise ChromiumError("Chromium drew a blank page")


if __name__ == "__main__":
    sys.exit(main())
