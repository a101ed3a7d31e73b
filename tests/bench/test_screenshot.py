"""`make screenshot`: the README's picture is a run's section of the report down to its chart, cut just below it."""

import io

import pytest
from bench.screenshot import HEIGHT, MARGIN_PX, WIDTH, content_bottom, section_png
from PIL import Image, ImageDraw

from autotuner.reports.charts.marks import P50_COLOUR
from tests.unit.reports import adaptive_output


def test_the_content_ends_at_the_last_row_that_is_not_background() -> None:
    image = Image.new("RGB", (40, 100), "#f4f6f9")
    ImageDraw.Draw(image).rectangle((10, 20, 30, 61), fill="#ffffff")
    assert content_bottom(image) == 62

    with pytest.raises(RuntimeError, match="blank"):
        content_bottom(Image.new("RGB", (40, 100), "#f4f6f9"))


def lowest_row_of(image: Image.Image, colour: str, tolerance: int = 30) -> int:
    target = Image.new("RGB", (1, 1), colour).getpixel((0, 0))
    assert isinstance(target, tuple)
    pixels = image.load()
    assert pixels is not None
    for row in range(image.height - 1, -1, -1):
        for column in range(image.width):
            pixel = pixels[column, row]
            assert isinstance(pixel, tuple)
            if max(abs(a - b) for a, b in zip(pixel, target, strict=True)) <= tolerance:
                return row
    raise AssertionError(f"no {colour} in the picture")


@pytest.mark.tools
def test_the_screenshot_is_the_section_down_to_its_chart() -> None:
    with Image.open(io.BytesIO(section_png("ml-inference-adaptive", adaptive_output()))) as opened:
        image = opened.convert("RGB")

    assert image.width == WIDTH
    assert 800 < image.height < HEIGHT, f"{image.height} px: not cut below the chart"
    # The chart is the last thing drawn: below its p50 line (a colour only charts use) only the axis, its labels and the
    # section's edge.
    below_p50_line = image.height - lowest_row_of(image, P50_COLOUR)
    assert MARGIN_PX < below_p50_line < 250, f"{below_p50_line} px below the chart's p50 line"
