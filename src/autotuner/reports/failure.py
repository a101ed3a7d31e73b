"""The report of a run that failed: it has no output, so what it shows is what the failure path wrote (the
execution's error and cause, which say in words what failed and what clean-up read back) and what clean-up did
(its report, from the execution's history)."""

from datetime import datetime
from html import escape
from typing import Literal

from autotuner.domain.camel import CamelModel
from autotuner.domain.run.documents import CleanupReport
from autotuner.domain.run.verdict import failed_verdict
from autotuner.reports.html import _document

FAILED_RUN = "failed-run"  # the saved report's kind, so a file tells what it holds


class FailedRunReport(CamelModel):
    """A run that ended without an output. ``cleanup`` is None when clean-up left no report (it failed itself,
    or the history that held it was not read)."""

    kind: Literal["failed-run"] = "failed-run"  # FAILED_RUN
    execution: str
    function_arn: str | None = None
    status: str
    error: str | None = None
    cause: str | None = None
    started: datetime | None = None
    stopped: datetime | None = None
    cleanup: CleanupReport | None = None


def failure_summary(report: FailedRunReport) -> str:
    """The terminal's lines: the verdict, what failed, then what clean-up did."""
    lines = [
        failure_verdict(report),
        f"The run {report.execution} {report.status.lower()}: {report.error or 'no error recorded'}",
    ]
    if report.cause:
        lines.append(f"  {report.cause}")
    lines += [f"  {line}" for line in cleanup_lines(report.cleanup)]
    return "\n".join(lines)


def failure_verdict(report: FailedRunReport) -> str:
    return failed_verdict(report.error or "no error recorded", _left_with(report.cleanup))


def _left_with(cleanup: CleanupReport | None) -> str:
    """What the function was left with, in a few words (cleanup_lines say it in full)."""
    if cleanup is None:
        return "clean-up left no report: check the function's aliases and versions"
    if cleanup.skipped:
        return "nothing was changed"
    if not cleanup.complete:
        return "clean-up did not finish: check the function's aliases and versions"
    if cleanup.final_memory_mb is None:
        return "cleaned up"
    return f"cleaned up; read back, the function has {cleanup.final_memory_mb} MB"


def cleanup_lines(cleanup: CleanupReport | None) -> list[str]:
    if cleanup is None:
        return ["Clean-up left no report: check the function's aliases and versions."]
    if cleanup.skipped:
        return [f"Clean-up had nothing to undo: {cleanup.skipped}."]
    lines = [
        f"Clean-up deleted aliases: {_listed(cleanup.deleted_aliases)}; versions: {_listed(cleanup.deleted_versions)}."
    ]
    if cleanup.kept_versions:
        lines.append(f"Kept versions an alias still uses: {_listed(cleanup.kept_versions)}.")
    if cleanup.final_memory_mb is not None:
        lines.append(f"Read back afterwards: {cleanup.final_memory_mb} MB.")
    if cleanup.alias_name is not None:
        lines.append(f"Alias {cleanup.alias_name} points to {cleanup.final_alias_version or 'nothing'}.")
    if (code := code_line(cleanup)) is not None:
        lines.append(code)
    if not cleanup.complete:
        lines.append("Clean-up did not finish; the janitor retries it when the execution ends.")
    return lines


def code_line(cleanup: CleanupReport) -> str | None:
    """$LATEST's code as clean-up read it back, when the run had uploaded it for another architecture."""
    if cleanup.final_architecture is None or cleanup.final_code_sha256 is None:
        return None
    found = f"{cleanup.final_code_sha256} on {cleanup.final_architecture.value}"
    if cleanup.code_note:  # the note is CodeChangedError's, which the cause usually says in full
        return f"$LATEST's code was left as another deployment made it; read back: {found}."
    return f"$LATEST's code, {'put back' if cleanup.restored_code else 'as found'}; read back: {found}."


def render_failure_html(report: FailedRunReport, *, title: str) -> str:
    """A self-contained page (the run reports' style and policy: no scripts, nothing loaded)."""
    when = " · ".join(
        f"{label} {moment:%Y-%m-%d %H:%M:%S} UTC"
        for label, moment in (("started", report.started), ("stopped", report.stopped))
        if moment is not None
    )
    target = f'<p class="arn">{escape(report.function_arn)}</p>' if report.function_arn else ""
    cause = f"<p>{escape(report.cause)}</p>" if report.cause else ""
    cleanup = "".join(f"<li>{escape(line)}</li>" for line in cleanup_lines(report.cleanup))
    body = (
        f'<header class="page"><h1>{escape(title)}</h1><p class="meta">{escape(when)}</p></header>'
        f'<section class="failure"><h2>{escape(report.execution)} '
        f'<span class="badge no-candidate">{escape(report.status.lower())}</span></h2>'
        f'<p class="verdict">{escape(failure_verdict(report))}</p>{target}'
        f'<h3>What failed</h3><p class="outcome">{escape(report.error or "no error recorded")}</p>{cause}'
        f'<h3>What clean-up did</h3><ul class="excluded">{cleanup}</ul></section>'
    )
    return _document(title, body)


def _listed(items: list[str]) -> str:
    return ", ".join(items) if items else "none"
