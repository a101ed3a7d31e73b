"""The warmer: which targets (tag and list), and each warmed, skipped or failed on its own."""

import json

import pytest

from autotuner.adapters.errors import AwsError
from autotuner.domain.automation.warming import WarmResult, WarmTarget
from autotuner.workflow.warm import warm, warm_targets
from tests.unit.workflow.memory_ports import (
    Functions,
    MemoryDirectory,
    MemoryFunction,
    MemoryInvoker,
    Reply,
    function_arn,
    raising,
)

TAG = "autotuner:warm"


class Account:
    def __init__(self, *functions: MemoryFunction) -> None:
        self.functions = Functions(*functions)
        self.directory = MemoryDirectory(self.functions)
        self.invoker = MemoryInvoker(self.functions)

    def warm(self, *targets: WarmTarget) -> WarmResult:
        return warm(list(targets), self.directory, self.invoker, WarmResult())


def test_targets_come_from_the_tag_and_the_list_and_the_list_wins_for_the_same_function() -> None:
    account = Account(
        MemoryFunction(function_arn("orders"), tags={TAG: "3"}),
        MemoryFunction(function_arn("resize"), tags={TAG: "true"}),
        MemoryFunction(function_arn("billing"), tags={TAG: "lots"}),
        MemoryFunction(function_arn("untagged")),
    )
    result = WarmResult()

    targets = warm_targets(TAG, [WarmTarget(function="orders", concurrency=5)], account.directory, result)

    assert sorted((t.function, t.concurrency) for t in targets) == [(function_arn("resize"), 1), ("orders", 5)]
    assert result.skipped == {"billing": f"tag {TAG}: 'lots' is not a concurrency between 1 and 50"}


def test_without_a_tag_key_only_the_list_is_warmed_and_no_tags_are_read() -> None:
    account = Account(MemoryFunction(function_arn("orders"), tags={TAG: "3"}))
    account.directory.tag_failure = AwsError("listing functions tagged: AccessDeniedException")
    listed = [WarmTarget(function="api:live", concurrency=2)]
    assert warm_targets("", listed, account.directory, WarmResult()) == listed


def test_a_target_gets_as_many_concurrent_warm_ups_as_it_wants_environments() -> None:
    account = Account(MemoryFunction(function_arn("orders")))

    result = account.warm(WarmTarget(function="orders", concurrency=3))

    assert (result.warmed, result.skipped, result.failed, result.notes) == (["orders"], {}, {}, {})
    sent = sorted(json.loads(call.payload)["index"] for call in account.invoker.targets("orders"))
    assert sent == [0, 1, 2]
    assert {json.loads(call.payload)["concurrency"] for call in account.invoker.calls} == {3}


def test_a_function_with_provisioned_concurrency_is_left_alone() -> None:
    account = Account(MemoryFunction(function_arn("orders"), provisioned=4))
    result = account.warm(WarmTarget(function="orders", concurrency=2))
    assert result.skipped == {"orders": "has 4 provisioned environments; a warmer would only add cost"}
    assert account.invoker.calls == []


def test_provisioned_concurrency_that_cannot_be_read_is_said_and_the_function_warmed() -> None:
    account = Account(MemoryFunction(function_arn("orders"), provisioned=None))
    result = account.warm(WarmTarget(function="orders", concurrency=1))
    assert result.warmed == ["orders"]
    assert result.notes == {"orders": "provisioned concurrency could not be read; warmed anyway"}


def test_one_bad_target_does_not_stop_the_others() -> None:
    account = Account(MemoryFunction(function_arn("orders")), MemoryFunction(function_arn("flaky")))
    account.invoker.respond = raising("Runtime.ExitError", "exited", when=lambda call: "flaky" in call.function)

    result = account.warm(
        WarmTarget(function="flaky", concurrency=2),
        WarmTarget(function="ghost", concurrency=1),
        WarmTarget(function="orders", concurrency=2),
    )

    assert result.warmed == ["orders"]
    assert result.failed == {
        "flaky": "2 of 2 warm-up invocations raised ExitError",  # the class name: never a dotted, link-like path
        "ghost": "function ghost not found",
    }


@pytest.mark.parametrize("failing", ["invoke", "provisioned"])
def test_an_exception_is_a_failed_target_with_its_message(failing: str) -> None:
    account = Account(MemoryFunction(function_arn("orders")))
    error = AwsError("invoking orders: TooManyRequestsException (still throttled after 3 attempts)")
    if failing == "invoke":

        def throttled(_: object) -> Reply:
            raise error

        account.invoker.respond = throttled
    else:
        account.functions.by_arn[function_arn("orders")].exists = False
        error = AwsError("function orders not found")
    result = account.warm(WarmTarget(function="orders", concurrency=1))
    assert result.failed == {"orders": str(error)}
    assert result.warmed == []
