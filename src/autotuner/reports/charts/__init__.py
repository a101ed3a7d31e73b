"""Charts of one tuning run: cost and duration against memory, as inline SVG (HTML report) or PNG.

``series`` is what is plotted (pure data), ``marks`` how every mark and the legend look, and ``svg`` and ``png``
render the two from those alone, so the pictures and the report's tables cannot disagree.
"""

from autotuner.reports.charts.png import render_png
from autotuner.reports.charts.series import PointStatus, SeriesPoint, chart_series
from autotuner.reports.charts.svg import render_svg

__all__ = ["PointStatus", "SeriesPoint", "chart_series", "render_png", "render_svg"]
