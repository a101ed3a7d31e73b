import re
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser

import pytest

from autotuner.domain.costs.money import usd
from autotuner.domain.inputs.tuning_input import SearchMode
from autotuner.domain.run.output import SearchSummary
from autotuner.reports.html import render_html
from autotuner.reports.savings import SAVINGS_HEADER, savings_notes, savings_rows
from autotuner.reports.text import margins_line, outcome_line, summary
from tests.unit.reports import adaptive_output, applied_ledger, failed_output, io_bound_output, tuned_output

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Attributes through which a browser would fetch something (or navigate, for <a href>).
URL_ATTRIBUTES = {"src", "href", "xlink:href", "srcset", "action", "formaction", "poster", "data", "background"}
TUNED = tuned_output()
IO_BOUND = io_bound_output()
FAILED = failed_output()
RUNS = [("image-resizer", TUNED), ("orders-api", IO_BOUND), ("pdf-renderer", FAILED)]


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parents: tuple["Element", ...] = ()
    text: list[str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def inside(self, tag: str, css_class: str | None = None) -> bool:
        return any(p.tag == tag and (css_class is None or css_class in p.classes) for p in self.parents)


class Document(HTMLParser):
    """Every element with the text inside it; nesting is checked as the page is read."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []
        self.problems: list[str] = []
        self.feed(html)
        self.close()
        self.problems += [f"<{e.tag}> is never closed" for e in self.open]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, tuple(self.open))
        self.elements.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, {name: value or "" for name, value in attrs}, tuple(self.open)))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1].tag != tag:
            self.problems.append(f"</{tag}> closes <{self.open[-1].tag if self.open else 'nothing'}>")
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text.append(data)

    def find(self, tag: str, css_class: str | None = None) -> list[Element]:
        return [e for e in self.elements if e.tag == tag and (css_class is None or css_class in e.classes)]


def text_of(element: Element) -> str:
    return " ".join(" ".join(element.text).split())


def parse(html: str) -> Document:
    document = Document(html)
    assert document.problems == []
    return document


@pytest.fixture(scope="module")
def report() -> str:
    return render_html(RUNS, generated_at="2025-06-01 09:30 UTC", note="Targets in this report are emulated")


def test_the_report_is_one_well_formed_document(report: str) -> None:
    document = parse(report)
    assert report.startswith("<!DOCTYPE html>")
    assert [len(document.find(tag)) for tag in ("html", "head", "body", "style", "main")] == [1, 1, 1, 1, 1]
    assert [text_of(t) for t in document.find("title") if t.inside("head")] == ["Lambda Autotuner report"]
    assert "2025-06-01 09:30 UTC" in text_of(document.find("header")[0])


def test_nothing_is_loaded_from_outside_the_file(report: str) -> None:
    document = parse(report)
    links = {output.state_machine.visualization for _, output in RUNS}
    for element in document.elements:
        for name, value in element.attrs.items():
            fetches = name in URL_ATTRIBUTES and re.match(r"\s*(https?:)?//", value, re.IGNORECASE)
            if fetches:
                assert element.tag == "a", f"<{element.tag} {name}={value!r}> loads from the network"
                assert value in links
            assert not name.startswith("on"), f"event handler {name} on <{element.tag}>"
    assert document.find("script") == []
    assert [e.tag for e in document.elements if e.tag in {"iframe", "img", "object", "embed", "link"}] == ["link"]
    assert document.find("link")[0].attrs["href"] == "data:,"  # no favicon request either
    style = text_of(document.find("style")[0])
    assert "@import" not in style
    assert "url(" not in style
    policy = next(e for e in document.find("meta") if e.attrs.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in policy.attrs["content"]


def test_the_visualization_is_linked_for_each_run(report: str) -> None:
    anchors = [a.attrs["href"] for a in parse(report).find("a") if a.attrs["href"].startswith("https://")]
    assert anchors == [output.state_machine.visualization for _, output in RUNS]


def test_each_run_has_its_own_section_and_chart(report: str) -> None:
    document = parse(report)
    sections = document.find("section", "run")
    assert len(sections) == len(RUNS)
    assert len(document.find("svg")) == len(RUNS)
    headings = [text_of(h) for h in document.find("h2")]
    assert headings[0] == "Overview"
    assert [h.split()[0] for h in headings[1:]] == [name for name, _ in RUNS]


def test_the_chosen_size_is_highlighted_in_the_table_and_the_chart(report: str) -> None:
    document = parse(report)
    chosen_rows = document.find("tr", "chosen")
    assert [text_of(row).split(" MB")[0] for row in chosen_rows] == [str(TUNED.power), str(IO_BOUND.power)]
    assert "chosen" in text_of(chosen_rows[0])
    chart_labels = [text_of(t) for t in document.find("text") if text_of(t).startswith("chosen:")]
    assert chart_labels == [f"chosen: {TUNED.power} MB", f"chosen: {IO_BOUND.power} MB"]


def test_every_candidate_has_a_row_with_its_numbers(report: str) -> None:
    tables = parse(report).find("table", "candidates")
    assert len(tables) == len(RUNS)
    rows = [text_of(r) for r in parse(report).find("tr") if text_of(r).startswith(tuple("0123456789"))]
    for candidate in TUNED.candidates:
        row = next(r for r in rows if r.startswith(f"{candidate.memory_mb} MB"))
        if candidate.duration_ms is not None:
            assert f"{candidate.duration_ms.p95:,.1f}" in row
            assert usd(candidate.cost_estimate) in row
        assert f" {candidate.invocations} {candidate.cold_starts} " in f" {row} "


def test_every_exclusion_is_listed_with_its_reason(report: str) -> None:
    document = parse(report)
    listed = [text_of(li) for li in document.find("li") if li.inside("ul", "excluded")]
    excluded = [e for _, output in RUNS for e in output.decision.excluded]
    assert len(excluded) == 5  # orders-api's 128 MB too: 120 of its 128 MB used, under the memory margin
    for exclusion in excluded:
        assert any(item.startswith(f"{exclusion.memory_mb} MB") and exclusion.reason in item for item in listed)
        assert escape(exclusion.reason) in report
    statuses = [text_of(td) for td in document.find("td", "status")]
    assert any(s.startswith("excluded p95 duration") for s in statuses)
    assert any(s.startswith("failed 1 of 21 invocations ran out of memory") for s in statuses)
    assert "excluded memory margin: 6.2% free (120 of 128 MB used), under the 10% minMemoryHeadroom" in statuses


def test_the_decision_savings_and_run_cost_are_stated(report: str) -> None:
    section = text_of(parse(report).find("section", "run")[0])
    assert TUNED.savings is not None
    assert TUNED.applied is not None
    cost = TUNED.state_machine
    expected = [
        f"Applied {TUNED.power} MB to live (was 3008 MB).",
        TUNED.decision.reason,
        TUNED.confidence,
        f"saves {usd(TUNED.savings.savings_per_million)} per million invocations "
        f"({TUNED.savings.savings_percent:.1f}%)",
        f"{cost.invocations} invocations of the target {usd(cost.lambda_cost)}",
        f"The tuner's Lambdas {usd(cost.tuner_lambda_cost)}",
        f"State transitions {usd(cost.execution_cost)}",
        f"Total {usd(cost.total_cost)}",
        "alarm image-resizer-cost: cost rose 40% in a week",
        *TUNED.warnings,
    ]
    assert [text for text in expected if text not in section] == []


def test_the_frontier_and_what_the_next_faster_size_would_cost_are_stated(report: str) -> None:
    section = text_of(parse(report).find("section", "run")[0])
    frontier = TUNED.decision.frontier
    option = TUNED.decision.faster_option
    assert option is not None
    assert frontier[0].memory_mb == TUNED.power  # the cheapest eligible size heads the frontier
    assert f"the next faster option, {option.memory_mb} MB, would cost {option.extra_cost_percent:.1f}% more" in section
    assert "each faster than every cheaper size: " + "; ".join(f"{p.memory_mb} MB" for p in frontier[:1]) in section
    assert all(f"{p.memory_mb} MB {usd(p.cost)}" in section for p in frontier)


def test_the_margins_are_stated_in_one_line_with_the_figures_behind_the_choice(report: str) -> None:
    section = text_of(parse(report).find("section", "run")[0])
    margins = TUNED.decision.margins
    assert margins is not None
    assert margins.memory is not None
    assert margins.timeout is not None
    line = margins_line(TUNED)
    assert line == (
        f"1,024 MB leaves {margins.memory.free_share:.1%} free over the 180 MB a call used at 256 MB (at least 10%), "
        f"700% above 128 MB, which ran out of memory; its slowest call took {margins.timeout.slowest_ms:,.0f} ms, "
        f"{margins.timeout.share:.0%} of the 30 s timeout (at most 80%); 20 calls, 19 warm, behind the choice "
        "(auto-apply needs 5, 4 warm)."
    )
    assert f"Margins {line}" in section


def test_with_the_memory_margin_off_the_line_says_so() -> None:
    output = io_bound_output().model_copy(deep=True)
    assert output.decision.margins is not None
    output.decision.margins.min_memory_headroom = 0
    line = margins_line(output)
    assert line is not None
    assert line.startswith("memory margin off (minMemoryHeadroom 0); its slowest call took")


def test_with_no_size_fast_enough_the_line_says_what_timeout_would_do() -> None:
    output = failed_output().model_copy(deep=True)
    assert output.decision.margins is not None
    output.decision.margins.timeout_needed_s = 4
    output.decision.margins.timeout_ms = 3000
    assert margins_line(output) == (
        "no size keeps its slowest call under 80% of the 3 s timeout; a timeout of 4 s would make the cheapest of "
        "them safe."
    )


def test_a_refused_apply_is_stated_with_its_figures() -> None:
    refusal = "256 MB's p95 of 2,698 ms is 3.94x the current 1024 MB's 684 ms, beyond maxSlowdown 1.5"
    output = io_bound_output().model_copy(deep=True)
    output.decision.apply_refusal = refusal
    assert outcome_line(output) == f"Recommended {output.power} MB, not applied: {refusal}."
    section = parse(render_html([("orders-api", output)])).find("section", "run")[0]
    assert f"not applied: {refusal}" in text_of(section)


def test_a_run_without_a_choice_says_so(report: str) -> None:
    section = parse(report).find("section", "run")[2]
    text = text_of(section)
    assert "No memory size meets the constraints; nothing was applied." in text
    assert "no candidate" in text
    assert "chosen" not in text


def test_the_note_is_a_banner(report: str) -> None:
    banners = parse(report).find("div", "banner")
    assert [text_of(b) for b in banners] == ["Targets in this report are emulated"]
    assert parse(render_html(RUNS[:1])).find("div", "banner") == []


MALICIOUS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_text_from_input_is_escaped_everywhere() -> None:
    output = TUNED.model_copy(
        update={
            "warnings": [MALICIOUS],
            "function_arn": MALICIOUS,
            "decision": TUNED.decision.model_copy(update={"reason": MALICIOUS}),
        }
    )
    html = render_html([(MALICIOUS, output)], title=MALICIOUS, note=MALICIOUS)
    document = parse(html)
    assert document.find("script") == []
    assert document.find("img") == []
    assert not [e for e in document.elements for name in e.attrs if name.startswith("on")]
    assert text_of(document.find("h2")[0]).startswith(MALICIOUS)
    assert [text_of(t) for t in document.find("title") if t.inside("head")] == [MALICIOUS]
    assert escape(MALICIOUS) in html
    assert MALICIOUS not in html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<b>x</b>"])
def test_a_visualization_that_is_not_a_web_address_is_not_a_link(url: str) -> None:
    output = TUNED.model_copy(update={"state_machine": TUNED.state_machine.model_copy(update={"visualization": url})})
    document = parse(render_html([("f", output)]))
    assert [a.attrs["href"] for a in document.find("a") if "#run" not in a.attrs["href"]] == []
    assert url in text_of(document.find("p", "visualization")[0])


def test_an_empty_report_still_renders() -> None:
    document = parse(render_html([], generated_at="now"))
    assert document.find("svg") == []
    assert "No tuning runs to report." in text_of(document.find("main")[0])


def test_a_single_run_has_no_overview() -> None:
    document = parse(render_html([("orders-api", IO_BOUND)], generated_at="now"))
    assert document.find("section", "overview") == []
    assert len(document.find("svg")) == 1


def test_the_search_and_its_rounds_are_shown() -> None:
    output = tuned_output().model_copy(
        update={
            "search": SearchSummary(mode=SearchMode.ADAPTIVE, rounds=3, invocations=31, log=["Coarse pass: 7 sizes."])
        }
    )
    page = render_html([("orders", output)])
    assert "adaptive: 3 rounds, 31 invocations" in page
    assert "Coarse pass: 7 sizes." in page


def test_a_single_round_is_one_round() -> None:
    output = tuned_output().model_copy(
        update={"search": SearchSummary(mode=SearchMode.ADAPTIVE, rounds=1, invocations=1, log=[])}
    )
    assert "adaptive: 1 round, 1 invocation<" in render_html([("orders", output)])
    assert "Search: adaptive, 1 round, 1 invocation." in summary(output, "orders")


def _explained(page: str) -> dict[str, str]:
    """The run's explanation: each row's label and text."""
    document = parse(page)
    labels = [text_of(dt) for dt in document.find("dt")]
    return dict(zip(labels, [text_of(dd) for dd in document.find("dd")], strict=True))


def test_an_adaptive_run_says_what_its_cost_curve_predicts_with_the_outputs_figures() -> None:
    output = adaptive_output()
    assert output.search is not None
    curve = output.search.curve
    assert curve is not None
    band = curve.optimum_band
    line = (
        f"fits 7 sizes; cheapest at {curve.optimum_mb:,} MB, {usd(curve.optimum_cost)} per invocation "
        f"(the curve's 95% band {usd(band.low)}-{usd(band.high)})."
    )
    assert f"Cost curve: {line}" in summary(output, "f").splitlines()
    assert _explained(render_html([("f", output)]))["Cost curve"] == line


def test_a_cost_curve_that_does_not_fit_is_said_not_to_have_been_used() -> None:
    output = adaptive_output(fitting=False)
    line = "does not fit the 7 sizes it was fitted to, so it was not used."
    assert f"Cost curve: {line}" in summary(output, "f").splitlines()
    assert _explained(render_html([("f", output)]))["Cost curve"] == line


def test_a_size_the_curve_left_out_is_named() -> None:
    output = adaptive_output()
    assert output.search is not None
    assert output.search.curve is not None
    left_out = "1536 MB, whose 2 calls ran +240% from it"
    fitted = [m for m in output.search.curve.fitted_sizes if m != 1536]
    curve = output.search.curve.model_copy(update={"fitted_sizes": fitted, "left_out_mb": 1536, "left_out": left_out})
    output = output.model_copy(update={"search": output.search.model_copy(update={"curve": curve})})
    assert f"Cost curve: fits 6 sizes, leaving out {left_out}; cheapest at" in summary(output, "f")


def test_a_sweep_says_nothing_of_a_cost_curve() -> None:
    assert "Cost curve" not in summary(TUNED, "f")
    assert "Cost curve" not in _explained(render_html([("f", TUNED)]))


def test_the_savings_section_shows_the_ledger_as_the_cli_prints_it() -> None:
    ledger = applied_ledger()
    document = parse(render_html(RUNS, generated_at="now", savings=ledger))
    assert len(document.find("section", "savings")) == 1
    assert text_of(document.find("h2")[1]) == "What tuning saves"  # after the overview, before the runs
    table = [
        [text_of(cell) for cell in document.elements if cell.tag in {"th", "td"} and row in cell.parents]
        for row in document.find("tr")
        if row.inside("table", "savings")
    ]
    assert table == [list(SAVINGS_HEADER), *(list(row) for row in savings_rows(ledger))]
    resize, thumbnails = table[1], table[2]
    assert resize[:2] == ["resize", f"3008 → {TUNED.power} MB"]
    assert resize[4:6] == ["2,500,000", usd(ledger.functions[0].saving_per_invocation_usd * 2_500_000)]
    assert thumbnails[4:6] == ["none recorded", "unknown"]  # not "$0": CloudWatch had nothing to count
    assert table[3][5] == resize[5]  # the unknown saving is left out of the total, and a note says so
    notes = [text_of(p) for p in document.find("p", "note") if p.inside("section", "savings")]
    assert notes == savings_notes(ledger)
    assert "thumbnails" in notes[1]


def test_without_applied_runs_there_is_no_savings_section(report: str) -> None:
    assert parse(report).find("section", "savings") == []
