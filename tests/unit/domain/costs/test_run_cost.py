from autotuner.domain.costs.run_cost import DURATION_HISTORY_DAYS, duration_bound


def test_the_bound_is_the_recent_maximum_rounded_up_to_a_billed_millisecond() -> None:
    bound = duration_bound(812.01, timeout_s=30)
    assert bound.billed_ms == 813
    assert bound.basis == f"813 ms, the Maximum of its Duration metric over the last {DURATION_HISTORY_DAYS} days"


def test_a_sub_millisecond_maximum_still_bills_one_millisecond() -> None:
    assert duration_bound(0.2, timeout_s=30).billed_ms == 1


def test_without_datapoints_the_timeout_is_the_bound() -> None:
    bound = duration_bound(None, timeout_s=900, days=14)
    assert bound.billed_ms == 900_000
    assert bound.basis == "its timeout of 900 s, its Duration metric having no datapoints in the last 14 days"
