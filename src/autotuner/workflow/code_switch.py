"""$LATEST's code for another architecture, and back: a version carries the architecture its code was uploaded for,
so a run measuring another architecture uploads the same code again for it, publishes from it, and puts $LATEST
back. Shared by Prepare, Apply and clean-up (a step never imports another step).

The run only ever uploads the bytes it found ($LATEST's CodeSha256 in the plan), so other bytes on $LATEST are
another deployment's: they are never overwritten (CodeChangedError says what was found). "Back" means read back:
$LATEST's CodeSha256 and architecture equal what the run record holds.
"""

from typing import Literal

from autotuner.domain.costs.pricing import Architecture
from autotuner.domain.errors import CodeChangedError
from autotuner.domain.run.documents import Plan
from autotuner.domain.run.record import Intent
from autotuner.workflow.guard import ChangeGuard
from autotuner.workflow.ports import FunctionControl

__all__ = ["CodeChangedError", "restore_code", "switch_latest"]

Step = Literal["prepare", "apply"]


def switch_latest(
    control: FunctionControl, plan: Plan, guard: ChangeGuard, architecture: Architecture, step: Step
) -> None:
    """$LATEST's code uploaded again for ``architecture``, its intent recorded first."""
    code_sha256 = plan.original.code_sha256
    guard.intend(Intent(step=step, action=f"upload $LATEST's code for {architecture.value}", architecture=architecture))
    control.copy_code(code_sha256=code_sha256, architecture=architecture)
    guard.confirm(f"uploaded $LATEST's code for {architecture.value}")
    switched = control.configuration()
    if (switched.architecture, switched.code_sha256) != (architecture, code_sha256):
        raise CodeChangedError(
            f"after uploading $LATEST's code for {architecture.value}, Lambda reports {switched.code_sha256} on "
            f"{switched.architecture.value}: another deployment changed it, and it is left as that deployment made it"
        )


def restore_code(control: FunctionControl, *, architecture: Architecture, code_sha256: str) -> bool:
    """$LATEST's code, ``code_sha256``, on ``architecture`` again; True when it had to be put back (its own bytes
    uploaded again). Other bytes are another deployment's and are left alone: CodeChangedError names them."""
    current = control.configuration()
    if (current.code_sha256, current.architecture) == (code_sha256, architecture):
        return False
    if current.code_sha256 != code_sha256:
        raise CodeChangedError(
            f"$LATEST's code is {current.code_sha256} on {current.architecture.value}, not {code_sha256} as the run "
            f"found it: another deployment changed it during the run, and it is left as that deployment made it"
            + ("" if current.architecture is architecture else f" (check that {current.architecture.value} is meant)")
        )
    control.copy_code(code_sha256=code_sha256, architecture=architecture)
    return True
