"""$LATEST's code for another architecture, and back: a version carries the architecture its code was uploaded for,
so a run measuring another architecture uploads the same code again for it, publishes from it, and puts $LATEST
back. Shared by Prepare, Apply and clean-up (a step never imports another step).

Before the first upload, the run publishes $LATEST as found (the anchor, a version of the run like its others):
what is copied back when $LATEST's code is no longer the bytes it was. "Back" means read back: $LATEST's
CodeSha256 and architecture equal what the run record holds.
"""

from typing import Literal

from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.run.documents import Plan
from autotuner.domain.run.naming import anchor_description, is_anchor
from autotuner.domain.run.record import Intent
from autotuner.workflow.guard import ChangeGuard
from autotuner.workflow.ports import FunctionControl


class CodeChangedError(Exception):
    """$LATEST's code is not what the run found: another deployment changed it meanwhile."""


def anchor_version(control: FunctionControl, run_id: str) -> str | None:
    """The run's anchor version, if it published one (a retried step finds it by its description)."""
    return next((v.version for v in control.versions() if is_anchor(v.description, run_id)), None)


Step = Literal["prepare", "apply"]


def ensure_anchor(control: FunctionControl, plan: Plan, guard: ChangeGuard, step: Step) -> str:
    """The anchor: published once, from $LATEST as the run found it (checked against the plan's CodeSha256)."""
    found = anchor_version(control, plan.run_id)
    if found is not None:
        return found
    original = plan.original
    current = control.configuration()
    if (current.code_sha256, current.architecture) != (original.code_sha256, original.architecture):
        raise CodeChangedError(
            f"$LATEST's code is {current.code_sha256} on {current.architecture}, not {original.code_sha256} on "
            f"{original.architecture} as the run found it; is another deployment changing the function?"
        )
    description = anchor_description(plan.run_id)
    guard.intend(Intent(step=step, action="publish $LATEST's code as found, to copy back from"))
    control.update(memory_mb=original.memory_mb, description=description)
    published = control.publish_version(description)
    if not is_anchor(published.description, plan.run_id):
        raise CodeChangedError(
            f"publishing $LATEST's code returned version {published.version} ({published.description!r}), which this "
            "run did not create"
        )
    return published.version


def switch_latest(
    control: FunctionControl, plan: Plan, guard: ChangeGuard, architecture: Architecture, step: Step
) -> None:
    """$LATEST's code uploaded again for ``architecture``, its intent recorded first."""
    ensure_anchor(control, plan, guard, step)
    guard.intend(Intent(step=step, action=f"upload $LATEST's code for {architecture.value}", architecture=architecture))
    control.copy_code(source=None, architecture=architecture)
    guard.confirm(f"uploaded $LATEST's code for {architecture.value}")
    switched = control.configuration()
    if (switched.architecture, switched.code_sha256) != (architecture, plan.original.code_sha256):
        raise CodeChangedError(
            f"after uploading $LATEST's code for {architecture.value}, Lambda reports {switched.code_sha256} on "
            f"{switched.architecture.value}"
        )


def restore_code(control: FunctionControl, run_id: str, *, architecture: Architecture, code_sha256: str) -> bool:
    """$LATEST's code as ``code_sha256`` on ``architecture``; True when it had to be put back. The same bytes are
    uploaded again when only the architecture differs; other bytes are replaced from the anchor. Without an anchor,
    code the run never replaced is left alone (CodeChangedError): it is another deployment's."""
    current = control.configuration()
    if (current.code_sha256, current.architecture) == (code_sha256, architecture):
        return False
    if current.code_sha256 == code_sha256:
        control.copy_code(source=None, architecture=architecture)
        return True
    anchor = anchor_version(control, run_id)
    if anchor is None:
        raise CodeChangedError(
            f"$LATEST's code is {current.code_sha256}, not {code_sha256} as the run found it, and the run holds no "
            "copy of it: another deployment changed it, and it is left as that deployment made it"
        )
    control.copy_code(source=anchor, architecture=architecture)
    return True
