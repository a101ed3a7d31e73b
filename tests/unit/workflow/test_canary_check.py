"""CheckCanary's last check promotes the new version; when the answer to the write that keeps it is lost, the
retried check finds it promoted, whatever the alarms say by then, and never rolls back a kept change."""

import pytest

from autotuner.adapters.errors import WriteUnconfirmedError
from autotuner.domain.automation.canary import Verdict
from autotuner.domain.run.record import AliasSnapshot
from autotuner.workflow.canary import CanaryCheckRequest, check_canary
from tests.unit.workflow.memory_ports import MemoryCanaryWatch
from tests.unit.workflow.scenario import EXECUTION, SWEEP, World

CANARY = {"weight": 0.1, "durationSeconds": 60, "checkEverySeconds": 60}  # one check decides


def test_a_promotion_whose_answer_was_lost_is_found_promoted_on_retry(world: World) -> None:
    world.function.publish_version("release 9")
    world.function.restore_alias(AliasSnapshot(name="live", version="1"))
    plan, _ = world.planned({**SWEEP, "autoOptimize": True, "autoOptimizeAlias": "live", "canary": CANARY})
    applied = world.apply(plan, 256)
    assert applied.canary is not None
    request = CanaryCheckRequest(execution_id=EXECUTION, plan=plan, applied=applied)
    watch = MemoryCanaryWatch()

    world.records.unanswered.add("record_applied")
    with pytest.raises(WriteUnconfirmedError):
        check_canary(request, watch, world.function, world.guard(plan), world.records)
    watch.in_alarm = ["autotuner-orders-p95"]  # by the time Step Functions retries the check

    check = check_canary(request, watch, world.function, world.guard(plan), world.records)

    assert check.verdict is Verdict.PROMOTED
    assert check.reason == "promoted by an earlier attempt of this check, as the run record holds"
    assert world.function.alias_snapshot("live") == AliasSnapshot(name="live", version=applied.canary.new_version)
    record = world.records.read(EXECUTION)
    assert record is not None
    assert record.applied == applied
