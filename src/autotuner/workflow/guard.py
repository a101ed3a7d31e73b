"""Every change a step makes to the target goes through a guard: its intent is recorded before it is made, and
afterwards the run record must still be open, or the step undoes the change itself (a clean-up closed the run
meanwhile, e.g. the janitor of a stopped execution, and may have listed the function before the change landed).

A record write whose answer was lost raises WriteUnconfirmedError (not a stop: nothing is undone) and Step
Functions retries the step; the retried step reads what the record already holds (``record``) and finds its work
done rather than doing it again."""

from collections.abc import Callable

from autotuner.domain.errors import RunStoppedError
from autotuner.domain.run.output import AppliedChange
from autotuner.domain.run.record import Intent, RunRecord
from autotuner.workflow.ports import RunRecords


class ChangeGuard:
    def __init__(self, records: RunRecords, execution_id: str, undo: Callable[[], object]) -> None:
        self._records = records
        self._execution_id = execution_id
        self._undo = undo

    def record(self) -> RunRecord:
        """The run record as it is now: what an earlier attempt of this step kept, and the target as Plan found it."""
        record = self._records.read(self._execution_id)
        if record is None:
            raise RunStoppedError("the run holds no record; nothing may be changed")
        return record

    def intend(self, intent: Intent) -> None:
        if not self._records.note_intent(self._execution_id, intent):
            raise RunStoppedError(f"the run was stopped before it could {intent.action}; that was not done")

    def confirm(self, what: str) -> None:
        if not self._records.still_open(self._execution_id):
            self._stopped(what)

    def keep(self, applied: AppliedChange) -> None:
        """The applied choice stays only once the record holds it: a clean-up then keeps it too."""
        if not self._records.record_applied(self._execution_id, applied):
            self._stopped(f"applied {applied.memory_mb} MB to {applied.target}")

    def _stopped(self, what: str) -> None:
        self._undo()
        raise RunStoppedError(f"the run was stopped while it {what}; the change was undone")
