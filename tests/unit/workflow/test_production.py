"""Reading a version's production calls over a stretch: the calls of its REPORT lines in time order, the unreadable
ones counted, and a capped read's end, where the next read goes on."""

from autotuner.domain.inputs.arn import parse_function_arn
from autotuner.domain.measuring.log_events import VersionLogs
from autotuner.workflow.production import version_calls
from tests.unit.workflow.scenario import LOG_GROUP, NOW, TARGET, World

WHERE = VersionLogs(function=parse_function_arn(TARGET), log_group=LOG_GROUP, log_format="Text", version="1")


def test_a_version_s_calls_come_back_in_time_order_with_the_unreadable_ones_counted(world: World) -> None:
    world.serve("1", 1024, 3, from_s=NOW + 20, every_s=-10)  # logged newest first: at NOW + 20, + 10, + 0
    world.serve("2", 512, 2, from_s=NOW, every_s=1)  # another version's: not read
    world.logs.put_line(LOG_GROUP, "1", NOW + 5, "REPORT RequestId: r\tDuration: 1 ms")  # no Billed Duration

    read = version_calls(world.logs, WHERE, since_s=NOW, until_s=NOW + 60, cap=100)

    assert [c.timestamp_ms for c in read.calls] == [int(NOW * 1000), int((NOW + 10) * 1000), int((NOW + 20) * 1000)]
    assert [c.report.memory_size_mb for c in read.calls] == [1024] * 3
    assert read.unreadable == 1
    assert read.covered_until_s == NOW + 60
    assert (read.read.requests, len(read.read.events)) == (1, 4)


def test_a_capped_read_covers_up_to_its_last_call_and_the_next_read_takes_the_rest(world: World) -> None:
    world.serve("1", 1024, 5, from_s=NOW, every_s=10)

    first = version_calls(world.logs, WHERE, since_s=NOW, until_s=NOW + 60, cap=3)
    rest = version_calls(world.logs, WHERE, since_s=first.covered_until_s, until_s=NOW + 60, cap=3)

    assert first.covered_until_s == NOW + 20  # the call logged then is left to the next read
    assert len(first.calls) == 2
    assert rest.covered_until_s == NOW + 60
    assert [c.timestamp_ms // 1000 - int(NOW) for c in first.calls + rest.calls] == [0, 10, 20, 30, 40]
