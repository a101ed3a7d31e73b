"""Every summary and report card opens with the verdict; the details follow, folded in the HTML report; a size
measured by cold starts alone is marked in the tables as in the charts."""

import pytest

from autotuner.domain.automation.canary import CanaryCheck, CanaryConfig, CanaryWindow, Verdict
from autotuner.domain.run.output import AppliedChange, Outcome, TuningOutput
from autotuner.domain.run.verdict import verdict
from autotuner.reports.html import render_html
from autotuner.reports.text import candidate_table, outcome_line, subject, summary
from tests.unit.reports import CROWDED_COLD_ONLY, crowded_output, failed_output, io_bound_output, tuned_output
from tests.unit.reports.test_html_report import parse, text_of


def kept_output() -> TuningOutput:
    output = tuned_output().model_copy(deep=True)
    assert output.power is not None
    output.applied = AppliedChange(target="$LATEST", memory_mb=output.power, previous_memory_mb=output.power)
    return output


def refused_output() -> TuningOutput:
    output = io_bound_output().model_copy(deep=True)
    output.decision.apply_refusal = "only 3 calls behind the choice; auto-apply needs 5"
    return output


OUTCOMES = {
    "applied": (tuned_output, "Applied 1024 MB to alias live (was 3008 MB) · "),
    "kept": (kept_output, "Kept 1024 MB on $LATEST: already the cheapest size · no change in cost · "),
    "recommended": (io_bound_output, "Recommended 256 MB, not applied (autoOptimize was off) · "),
    "refused to apply": (refused_output, "Recommended 256 MB, not applied (refused: only 3 calls behind the choice"),
    "refused": (failed_output, "Refused: no memory size meets the constraints, nothing applied · nothing saved · "),
}


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_the_summary_opens_with_the_verdict(outcome: str) -> None:
    build, opening = OUTCOMES[outcome]
    output = build()
    first = summary(output, "orders").splitlines()[0]
    assert first == verdict(output)
    assert first.startswith(opening)
    assert " · confidence: " in first


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_the_report_card_opens_with_the_verdict_and_folds_the_details(outcome: str) -> None:
    build, opening = OUTCOMES[outcome]
    document = parse(render_html([("orders", build())]))
    [section] = document.find("section", "run")
    [line] = document.find("p", "verdict")
    assert text_of(line).startswith(opening)
    texts = [e for e in document.elements if e.parents and e.parents[-1] is section and e.tag != "h2"]
    assert texts[0] is line, "the verdict is the first thing under the function's name"
    [details] = document.find("details", "details")
    assert "open" not in details.attrs
    folded = [table for table in document.find("table", "candidates") if table.inside("details")]
    assert folded == document.find("table", "candidates") != []
    assert all(p.inside("details") for p in document.find("dl", "explanation"))


def test_a_kept_size_never_reads_as_a_change() -> None:
    output = kept_output()
    assert outcome_line(output) == "Kept 1024 MB on $LATEST: it already had that size."
    assert subject(output, "orders") == "Autotuner: orders kept at 1024 MB"
    recommended = io_bound_output().model_copy(update={"power": 1024})  # the current size, not applied
    assert subject(recommended, "orders") == "Autotuner: orders kept at 1024 MB"
    assert verdict(recommended).startswith("Kept 1024 MB: already the cheapest size, nothing to apply · ")
    page = render_html([("orders", output)])
    assert "was 1024 MB" not in summary(output, "orders")
    assert '<span class="badge kept">kept</span>' in page
    [memory] = [card for card in parse(page).find("div", "card") if text_of(card).startswith("Memory")]
    assert text_of(memory) == "Memory 1024 MB kept: the function already had it"


def test_a_rolled_back_canary_has_its_badge() -> None:
    output = tuned_output().model_copy(update={"outcome": Outcome.ROLLED_BACK, "applied": None})
    window = CanaryWindow(alias="live", new_version="8", old_version="7", config=CanaryConfig(), started_epoch_s=0)
    output.canary = CanaryCheck(verdict=Verdict.ROLLED_BACK, reason="errors rose", checks=2, window=window)
    badges = [text_of(b) for b in parse(render_html([("orders", output)])).find("span", "badge")]
    assert badges == ["rolled back"]


def test_sizes_measured_only_cold_are_marked_in_the_tables_as_in_the_charts() -> None:
    output = crowded_output()
    rows = [line for line in summary(output, "ml").splitlines() if line.lstrip().startswith(("8", "*8"))]
    table = candidate_table(output.candidates, output.power, cold_only=dict.fromkeys(CROWDED_COLD_ONLY, 1))
    for memory in CROWDED_COLD_ONLY:
        [row] = [line for line in table.splitlines() if f"{memory} MB" in line]
        assert row.rstrip().endswith("ok, 1 cold invocation only")
        assert any(f"{memory} MB" in line and "1 cold invocation only" in line for line in rows)
    tagged = [text_of(tag) for tag in parse(render_html([("ml", output)])).find("span", "cold")]
    assert tagged == ["◆ 1 cold invocation only"] * len(CROWDED_COLD_ONLY)
    warm = tuned_output()
    assert "cold invocation only" not in summary(warm, "f")
    assert parse(render_html([("f", warm)])).find("span", "cold") == []
