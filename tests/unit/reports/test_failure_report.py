"""A failed run's report: what failed in the failure path's words, and what clean-up did, in a page that loads
nothing and escapes what came from input."""

from html.parser import HTMLParser

from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.run.documents import CleanupReport
from autotuner.reports.failure import FailedRunReport, cleanup_lines, failure_summary, render_failure_html

HOSTILE = '<script>alert("x")</script>'


def report(cleanup: CleanupReport | None) -> FailedRunReport:
    return FailedRunReport(
        execution="run-1", status="FAILED", error="InvalidInputError", cause=HOSTILE, cleanup=cleanup
    )


def test_the_page_says_what_failed_and_what_clean_up_did_and_escapes_input() -> None:
    cleanup = CleanupReport(
        deleted_aliases=["autotuner-256"], deleted_versions=["3"], final_memory_mb=1024, alias_name="live",
        final_alias_version="2", complete=True,
    )  # fmt: skip
    page = render_failure_html(report(cleanup), title="Lambda Autotuner: run-1")
    HTMLParser().feed(page)
    assert HOSTILE not in page
    assert "&lt;script&gt;" in page
    assert "default-src 'none'" in page
    assert "InvalidInputError" in page
    assert "Clean-up deleted aliases: autotuner-256; versions: 3." in page
    assert "Alias live points to 2." in page
    assert page.index(
        '<p class="verdict">Failed: InvalidInputError · cleaned up; read back, the function has 1024 MB · '
    ) < (page.index("What failed"))


def test_clean_up_that_left_no_report_or_did_not_finish_is_said_so() -> None:
    assert cleanup_lines(None) == ["Clean-up left no report: check the function's aliases and versions."]
    assert cleanup_lines(CleanupReport(skipped="nothing was recorded")) == [
        "Clean-up had nothing to undo: nothing was recorded."
    ]
    unfinished = cleanup_lines(CleanupReport(deleted_versions=["4"]))
    assert unfinished[-1] == "Clean-up did not finish; the janitor retries it when the execution ends."
    assert failure_summary(report(None)).startswith(
        "Failed: InvalidInputError · clean-up left no report: check the function's aliases and versions · nothing "
        "saved · confidence: none (no choice was made)\nThe run run-1 failed: InvalidInputError\n"
    )


def test_latest_code_is_reported_as_read_back_and_another_deployments_as_left_alone() -> None:
    read_back = {"final_code_sha256": "abc=", "final_architecture": Architecture.ARM64, "complete": True}
    assert cleanup_lines(CleanupReport(**read_back, restored_code=True))[-1] == (
        "$LATEST's code, put back; read back: abc= on arm64."
    )
    left = CleanupReport(**read_back, code_note="$LATEST's code is abc=, not xyz= as the run found it")
    assert cleanup_lines(left)[-1] == "$LATEST's code was left as another deployment made it; read back: abc= on arm64."
    assert not any("code" in line for line in cleanup_lines(CleanupReport(complete=True)))
