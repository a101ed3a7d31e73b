"""Re-tuning on alarms: at most one run per function and alarm transition, a cooldown, and a reason for every skip;
the alarm's own metric and threshold decide the run's constraints, or why no run starts
(domain/automation/alarm_semantics.py)."""

from typing import Any

import pytest

from autotuner.adapters.errors import AwsError
from autotuner.domain.automation.alarms import AlarmChange, MetricRef
from autotuner.workflow.retune import RetuneResult, RetuneSettings, retune
from tests.unit.workflow.memory_ports import (
    ACCOUNT,
    REGION,
    MemoryAlarms,
    MemoryFunctionLogs,
    MemoryRegistry,
    MemoryStarter,
    alarm_as_cloudwatch_holds,
    function_arn,
)

ORDERS = function_arn("orders")
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:tuner"
PROFILE = {"num": 5, "powerValues": [256, 512], "strategy": "speed"}
NOW = 1_800_000_000.0
SIX_HOURS = 6 * 3600
# A p95 Duration alarm at 800 ms: the run keeps p95 under 800 ms x the default margin 0.8.
DURATION_CONSTRAINTS = {"maxP95DurationMs": 640.0}
DURATION_CONSTRAINT = "maxP95DurationMs 640 (the alarm's p95 threshold 800 ms x 0.8)"


def here(**settings: Any) -> RetuneSettings:
    """The settings of a deployment in the account and region the alarms are in."""
    return RetuneSettings(account=ACCOUNT, region=REGION, **settings)


def lambda_metric(metric: str = "Duration", **dimensions: str) -> MetricRef:
    return MetricRef(namespace="AWS/Lambda", name=metric, dimensions=dimensions)


def alarm(
    *metrics: MetricRef,
    name: str = "autotuner-orders-p95",
    state: str = "ALARM",
    statistic: str | None = "p95",
    threshold: float | None = 800.0,
) -> AlarmChange:
    return AlarmChange(
        alarm_name=name,
        alarm_arn=f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}",
        state=state,
        reason="Threshold Crossed: 1 out of the last 1 datapoints [1243.8] was greater than the threshold (800.0)",
        time="2026-11-27T10:04:40.989+0000",
        metrics=list(metrics) or [lambda_metric(FunctionName="orders")],
        statistic=statistic,
        threshold=threshold,
    )


class Account:
    """The profiles table at a clock the test moves, the tuner state machine, and CloudWatch's alarms."""

    def __init__(self) -> None:
        self.now = NOW
        self.profiles = MemoryRegistry(clock=lambda: self.now)
        self.profiles.set_user_profile(ORDERS, PROFILE)
        self.starter = MemoryStarter(MACHINE)
        self.alarms = MemoryAlarms()
        self.function_tags: dict[str, dict[str, str] | None] = {}  # by function ARN; absent: no tags
        self.logs = MemoryFunctionLogs()

    def retune(
        self, change: AlarmChange, settings: RetuneSettings | None = None, *, in_cloudwatch: bool = True
    ) -> RetuneResult:
        """``change`` delivered; ``in_cloudwatch``: the alarm exists as the message describes it."""
        if in_cloudwatch:
            self.alarms.put(alarm_as_cloudwatch_holds(change))
        return retune(
            change,
            settings or here(),
            profiles=self.profiles,
            starter=self.starter,
            alarms=self.alarms,
            function_tags=lambda arn: self.function_tags.get(arn, {}),
            logs=self.logs,
        )


@pytest.fixture
def account() -> Account:
    return Account()


def skipped(result: RetuneResult) -> list[tuple[str, str, str]]:
    return [(s.code, s.subject, s.reason) for s in result.skipped]


def test_an_alarm_starts_one_run_with_the_profile_and_the_alarm_as_its_trigger(account: Account) -> None:
    result = account.retune(alarm())

    [name] = account.starter.started
    assert result.started == [f"{MACHINE.replace('stateMachine', 'execution')}:{name}"]
    assert result.skipped == []
    assert name.startswith("alarm-orders-")
    assert account.starter.started[name] == {
        **PROFILE,
        "lambdaARN": ORDERS,
        "constraints": DURATION_CONSTRAINTS,
        "trigger": {
            "source": "alarm",
            "alarmName": "autotuner-orders-p95",
            "reason": alarm().reason,
            "time": "2026-11-27T10:04:40.989+0000",
            "metric": "Duration",
            "statistic": "p95",
            "threshold": 800.0,
            "constraint": DURATION_CONSTRAINT,
        },
    }
    assert account.logs.asked == [], "a Duration alarm needs no logs"
    assert account.profiles.auto_claims[ORDERS][1] == NOW + SIX_HOURS, "claimed for the cooldown"


def test_an_alarm_on_an_alias_re_tunes_through_that_alias(account: Account) -> None:
    account.retune(alarm(lambda_metric(FunctionName="orders", Resource="orders:live")))
    [tuning_input] = account.starter.started.values()
    assert tuning_input["lambdaARN"] == f"{ORDERS}:live"


def test_the_same_alarm_delivered_twice_starts_one_run(account: Account) -> None:
    first, again = account.retune(alarm()), account.retune(alarm())
    assert len(first.started) == 1
    assert (again.started, skipped(again)) == (
        [],
        [("Cooldown", "function orders", "was tuned or claimed within the last 6 h, or a run is in progress")],
    )
    assert len(account.starter.started) == 1


def test_one_run_per_function_however_many_of_the_alarm_metrics_watch_it(account: Account) -> None:
    account.profiles.set_user_profile(function_arn("resize"), PROFILE)
    change = alarm(
        lambda_metric(FunctionName="orders"),
        lambda_metric(FunctionName="orders", Resource="orders:live"),
        lambda_metric(FunctionName="resize"),
    )
    result = account.retune(change)
    assert len(result.started) == 2
    assert sorted(i["lambdaARN"] for i in account.starter.started.values()) == [
        f"{ORDERS}:live",
        function_arn("resize"),
    ]


def test_the_cooldown_runs_from_the_last_successful_run(account: Account) -> None:
    account.profiles.record_run(ORDERS, 512, "arn:aws:states:us-east-1:123456789012:execution:tuner:run-1")
    account.now += SIX_HOURS - 60
    assert [code for code, _, _ in skipped(account.retune(alarm()))] == ["Cooldown"]
    account.now += 120
    assert len(account.retune(alarm()).started) == 1


def test_a_run_in_progress_holds_the_alarm_off(account: Account) -> None:
    account.profiles.claim_run(ORDERS, "arn:aws:states:us-east-1:123456789012:execution:tuner:manual", NOW + 600)
    assert [code for code, _, _ in skipped(account.retune(alarm()))] == ["Cooldown"]
    assert account.starter.started == {}


def test_a_run_that_cannot_be_started_gives_its_claim_back(account: Account) -> None:
    account.starter.failure = AwsError("starting the run: ThrottlingException")
    with pytest.raises(AwsError, match="ThrottlingException"):
        account.retune(alarm())
    assert account.profiles.auto_claims == {}

    account.starter.failure = None
    assert len(account.retune(alarm()).started) == 1, "the next delivery of the alarm may try again"


def test_the_execution_name_of_a_long_function_name_is_one_step_functions_accepts(account: Account) -> None:
    long_name = "orders-" + "x" * 57  # Lambda's longest function name, 64 characters
    account.profiles.set_user_profile(function_arn(long_name), PROFILE)
    result = account.retune(alarm(lambda_metric(FunctionName=long_name)))
    assert [len(name) for name in account.starter.started] == [80]
    assert len(result.started) == 1


STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/serverlessrepo-lambda-autotuner/5b6c7d8e"


@pytest.mark.parametrize(
    ("tags", "reason"),
    [
        ({"aws:cloudformation:stack-id": STACK_ID}, "is one of this tuner's own functions"),
        (None, "has tags the tuner could not read (lambda:ListTags), so it may be one of the tuner's own functions"),
    ],
    ids=["tagged-with-the-stack", "tags-unreadable"],
)
def test_an_alarm_on_one_of_the_stacks_own_functions_starts_nothing_whatever_its_name(
    account: Account, tags: dict[str, str] | None, reason: str
) -> None:
    own = "serverlessrepo-lambda-autotun-ReportFailureFunction-Ab12Cd34Ef56"  # no prefix of the stack's name
    account.profiles.set_user_profile(function_arn(own), PROFILE)  # even with a profile stored
    account.function_tags[function_arn(own)] = tags
    result = account.retune(alarm(lambda_metric(FunctionName=own)), here(stack_id=STACK_ID))
    assert (result.started, skipped(result)) == ([], [("OwnFunction", f"function {own}", reason)])
    assert account.profiles.auto_claims == {}


@pytest.mark.parametrize(
    ("change", "settings", "expected"),
    [
        (alarm(state="OK"), here(),
         ("NotInAlarm", "alarm autotuner-orders-p95", "is OK; only ALARM re-tunes")),
        (alarm(name="orders-p95"), here(),
         ("NotOptedIn", "alarm orders-p95", "is not opted in: its name does not start with 'autotuner-'")),
        (alarm(name="orders-p95"), here(alarm_name_prefix=""),
         ("NotOptedIn", "alarm orders-p95", "is not opted in: re-tuning by alarm is switched off")),
        (alarm(MetricRef(namespace="AWS/EC2", name="CPUUtilization", dimensions={"InstanceId": "i-0abc"})),
         here(),
         ("NoFunction", "alarm autotuner-orders-p95", "watches no Lambda function (metric namespaces: AWS/EC2)")),
        (alarm(lambda_metric()), here(),
         ("NoFunction", "alarm autotuner-orders-p95", "watches no Lambda function (metric namespaces: AWS/Lambda)")),
        (alarm(), here(target_arn_pattern="*:function:billing-*"),
         ("OutsidePattern", "function orders",
          "is outside the functions this deployment may tune (*:function:billing-*)")),
        (alarm(lambda_metric(FunctionName="billing")), here(),
         ("NoProfile", "function billing",
          "has no stored tuning profile: store one with `autotuner profile set` or a run with saveProfile")),
    ],
    ids=["not-in-alarm", "no-prefix", "switched-off", "not-lambda", "account-wide", "outside-pattern", "no-profile"],
)  # fmt: skip
def test_an_event_that_cannot_start_a_run_is_skipped_with_its_reason_and_claims_nothing(
    account: Account, change: AlarmChange, settings: RetuneSettings, expected: tuple[str, str, str]
) -> None:
    result = account.retune(change, settings)
    assert (result.started, skipped(result)) == ([], [expected])
    assert account.starter.started == {}
    assert account.profiles.auto_claims == {}, "a skipped event must not start the cooldown"


def test_a_composite_alarm_watches_no_function(account: Account) -> None:
    change = alarm()
    account.alarms.put(alarm_as_cloudwatch_holds(change).model_copy(update={"metrics": [], "composite": True}))
    assert skipped(account.retune(change, in_cloudwatch=False)) == [
        ("NoFunction", "alarm autotuner-orders-p95", "watches no Lambda function (metric namespaces: none (a composite "
         "alarm?))")
    ]  # fmt: skip


def test_a_profile_that_is_not_a_valid_input_is_skipped_naming_the_problem(account: Account) -> None:
    account.profiles.set_user_profile(ORDERS, {**PROFILE, "strategy": "fastest"})
    [(code, subject, reason)] = skipped(account.retune(alarm()))
    assert (code, subject) == ("InvalidProfile", "function orders")
    assert reason.startswith("has an invalid profile: ")
    assert "strategy" in reason
    assert account.profiles.auto_claims == {}


def test_alarms_opt_in_by_tag_and_the_tags_are_read_only_when_that_is_how(account: Account) -> None:
    by_tag = here(alarm_name_prefix="", alarm_tag_key="autotuner:retune")
    tagged, untagged = alarm(name="orders-p95"), alarm(name="orders-errors")
    account.alarms.tags_of[tagged.alarm_arn] = {"autotuner:retune": "true"}

    assert len(account.retune(tagged, by_tag).started) == 1
    assert skipped(account.retune(untagged, by_tag)) == [
        ("NotOptedIn", "alarm orders-errors", "is not opted in: it has no tag autotuner:retune=true")
    ]
    assert account.alarms.tags_read == [tagged.alarm_arn, untagged.alarm_arn]

    account.retune(alarm(), here())
    assert len(account.alarms.tags_read) == 2, "no tag key: the alarm's tags are never read"


# ---- what the alarm watches decides the run (domain/automation/alarm_semantics.py) ----------------------------


def report_line(status: str = "") -> str:
    tail = f"\tStatus: {status}" if status else ""
    return f"REPORT RequestId: 8f5a Duration: 120.00 ms\tBilled Duration: 120 ms\tMemory Size: 1024 MB\t" \
           f"Max Memory Used: 300 MB{tail}"  # fmt: skip


def test_the_stricter_of_the_profile_and_the_alarm_constraint_holds(account: Account) -> None:
    account.profiles.set_user_profile(ORDERS, {**PROFILE, "constraints": {"maxP95DurationMs": 500, "maxSlowdown": 2}})
    account.retune(alarm())
    [tuning_input] = account.starter.started.values()
    assert tuning_input["constraints"] == {"maxP95DurationMs": 500.0, "maxSlowdown": 2}


def test_the_duration_margin_is_the_deployment_setting(account: Account) -> None:
    account.retune(alarm(), here(duration_margin=0.5))
    [tuning_input] = account.starter.started.values()
    assert tuning_input["constraints"] == {"maxP95DurationMs": 400.0}


def test_a_duration_alarm_whose_threshold_cannot_be_read_starts_nothing(account: Account) -> None:
    result = account.retune(alarm(threshold=None))
    assert skipped(result) == [
        ("NoThreshold", "alarm autotuner-orders-p95",
         "watches Duration but its threshold could not be read; no constraint could keep it quiet")
    ]  # fmt: skip
    assert (account.starter.started, account.profiles.auto_claims) == ({}, {})


def test_an_errors_alarm_re_tunes_with_memory_headroom_only_when_the_logs_show_time_outs_or_oom(
    account: Account,
) -> None:
    errors = alarm(lambda_metric("Errors", FunctionName="orders"), name="autotuner-orders-errors", statistic="Sum",
                   threshold=1.0)  # fmt: skip
    account.logs.messages["orders"] = [report_line(), report_line("error"), "ERROR Invoke Error KeyError: 'id'"]
    [(code, subject, reason)] = skipped(account.retune(errors))
    assert (code, subject) == ("ErrorsNotMemory", "alarm autotuner-orders-errors")
    assert "0 time-outs and 0 out-of-memory endings in 2 recent REPORT lines" in reason
    assert account.profiles.auto_claims == {}

    account.logs.messages["orders"].append(report_line("timeout"))
    assert len(account.retune(errors).started) == 1
    [tuning_input] = account.starter.started.values()
    assert tuning_input["constraints"] == {"minMemoryHeadroom": 0.2}
    assert tuning_input["trigger"]["metric"] == "Errors"
    assert "1 time-outs and 0 out-of-memory endings in 3 recent REPORT lines" in tuning_input["trigger"]["constraint"]
    assert account.logs.asked == [(ORDERS, 3600)] * 2


@pytest.mark.parametrize(
    ("metric", "code", "reason"),
    [
        ("Throttles", "Throttles", "watches Throttles: concurrency, not memory, decides throttling; memory left "
                                   "unchanged"),
        ("ConcurrentExecutions", "MetricNotMemory", "watches ConcurrentExecutions, which a memory size does not "
                                                    "decide; memory left unchanged"),
    ],
)  # fmt: skip
def test_an_alarm_on_a_metric_memory_does_not_decide_starts_nothing(
    account: Account, metric: str, code: str, reason: str
) -> None:
    result = account.retune(alarm(lambda_metric(metric, FunctionName="orders"), statistic="Sum", threshold=1.0))
    assert skipped(result) == [(code, "alarm autotuner-orders-p95", reason)]
    assert (account.starter.started, account.profiles.auto_claims) == ({}, {})


def test_a_profile_applied_to_an_alias_re_tunes_through_a_canary_unless_switched_off(account: Account) -> None:
    account.profiles.set_user_profile(ORDERS, {**PROFILE, "autoOptimize": True})
    on_alias = alarm(lambda_metric(FunctionName="orders", Resource="orders:live"))
    account.retune(on_alias)
    [tuning_input] = account.starter.started.values()
    assert (tuning_input["lambdaARN"], tuning_input["canary"]) == (f"{ORDERS}:live", {})

    other = Account()
    other.profiles.set_user_profile(ORDERS, {**PROFILE, "autoOptimize": True})
    other.retune(on_alias, here(canary_for_aliases=False))
    [without] = other.starter.started.values()
    assert "canary" not in without


def test_a_profile_with_its_own_canary_keeps_it_and_one_on_latest_gets_none(account: Account) -> None:
    own = {"weight": 0.05, "durationSeconds": 600}
    account.profiles.set_user_profile(ORDERS, {**PROFILE, "autoOptimize": True, "canary": own})
    account.retune(alarm(lambda_metric(FunctionName="orders", Resource="orders:live")))
    [tuning_input] = account.starter.started.values()
    assert tuning_input["canary"] == own

    latest = Account()
    latest.profiles.set_user_profile(ORDERS, {**PROFILE, "autoOptimize": True})
    latest.retune(alarm())
    [on_latest] = latest.starter.started.values()
    assert "canary" not in on_latest, "a canary needs an alias to split the traffic of"


def test_a_function_tuned_once_without_save_profile_is_not_re_tuned_by_an_alarm(account: Account) -> None:
    """A one-off run sets nothing an automatic run does; an item an older version wrote the run's input into
    (lastRunInput) is read without it, and the skip says why."""
    billing = function_arn("billing")
    account.profiles.record_run(billing, 512, "arn:aws:states:us-east-1:123456789012:execution:tuner:one-off")
    account.profiles.legacy_run_inputs.add(billing)
    account.now += 2 * SIX_HOURS

    result = account.retune(alarm(lambda_metric(FunctionName="billing")))

    assert skipped(result) == [
        ("NoProfile", "function billing",
         "has no stored tuning profile: store one with `autotuner profile set` or a run with saveProfile (the input "
         "of its last run, which an older version kept, is never used as one)")
    ]  # fmt: skip
    assert (account.starter.started, account.profiles.auto_claims) == ({}, {})


# ---- the message only names the alarm: CloudWatch says what it is ---------------------------------------------


def test_a_message_for_an_alarm_that_does_not_exist_starts_nothing(account: Account) -> None:
    """The audit's attack: a message published to the re-tune topic for an alarm nobody created started a run."""
    result = account.retune(alarm(), in_cloudwatch=False)
    assert skipped(result) == [
        ("AlarmNotFound", "alarm autotuner-orders-p95",
         "does not exist in CloudWatch (account 123456789012, us-east-1); a message about it starts nothing")
    ]  # fmt: skip
    assert (account.starter.started, account.profiles.auto_claims) == ({}, {})
    assert account.alarms.described == ["autotuner-orders-p95"]


def test_a_message_that_lies_about_the_function_and_the_threshold_is_read_from_cloudwatch(account: Account) -> None:
    account.profiles.set_user_profile(function_arn("billing"), PROFILE)
    account.alarms.put(alarm_as_cloudwatch_holds(alarm()))  # orders' p95 above 800 ms, in ALARM
    forged = alarm(lambda_metric(FunctionName="billing"), threshold=100_000.0, statistic="Average")
    forged = forged.model_copy(update={"reason": "click http://evil/ to fix", "time": "2030-01-01T00:00:00Z"})

    result = account.retune(forged, in_cloudwatch=False)

    assert len(result.started) == 1
    [tuning_input] = account.starter.started.values()
    assert tuning_input["lambdaARN"] == ORDERS, "the function CloudWatch's alarm watches, not the message's"
    assert tuning_input["constraints"] == DURATION_CONSTRAINTS, "CloudWatch's threshold, not the message's"
    trigger = tuning_input["trigger"]
    assert (trigger["statistic"], trigger["threshold"]) == ("p95", 800.0)
    assert (trigger["reason"], trigger["time"]) == (alarm().reason, alarm().time)
    assert function_arn("billing") not in account.profiles.auto_claims


def test_an_alarm_that_is_not_in_alarm_in_cloudwatch_or_not_here_starts_nothing(account: Account) -> None:
    account.alarms.put(alarm_as_cloudwatch_holds(alarm(state="OK")))
    assert skipped(account.retune(alarm(), in_cloudwatch=False)) == [
        ("NotInAlarm", "alarm autotuner-orders-p95", "is OK in CloudWatch now; only ALARM re-tunes")
    ]
    elsewhere = [
        alarm().model_copy(
            update={"alarm_arn": "arn:aws:cloudwatch:us-east-1:999999999999:alarm:autotuner-orders-p95"}
        ),
        alarm().model_copy(
            update={"alarm_arn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:autotuner-orders-p95"}
        ),
        alarm().model_copy(update={"alarm_arn": "not an ARN"}),
    ]
    for change in elsewhere:
        assert skipped(account.retune(change, in_cloudwatch=False)) == [
            ("NotHere", "alarm autotuner-orders-p95",
             "is not an alarm of this deployment's account and region (account 123456789012, us-east-1)")
        ]  # fmt: skip
    assert account.alarms.described == ["autotuner-orders-p95"], "an alarm elsewhere is never read"
    assert (account.starter.started, account.profiles.auto_claims) == ({}, {})


def test_a_message_naming_an_existing_alarm_under_another_arn_starts_nothing(account: Account) -> None:
    account.alarms.put(alarm_as_cloudwatch_holds(alarm()))
    renamed = alarm(name="autotuner-orders-p95").model_copy(
        update={"alarm_arn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:autotuner-other"}
    )
    assert [code for code, _, _ in skipped(account.retune(renamed, in_cloudwatch=False))] == ["AlarmNotFound"]
    too_long = alarm(name="autotuner-" + "x" * 250)  # no alarm can be named so: CloudWatch is not even asked
    assert [code for code, _, _ in skipped(account.retune(too_long, in_cloudwatch=False))] == ["AlarmNotFound"]
    assert account.alarms.described == [], "neither message names the alarm under its own ARN and a possible name"
