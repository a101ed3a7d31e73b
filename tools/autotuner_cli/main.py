"""Entry point of the `autotuner` command. Errors a person can act on are one line each, never a traceback."""

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import NoReturn

from botocore.exceptions import EndpointConnectionError, NoCredentialsError, NoRegionError, PartialCredentialsError

from autotuner.adapters.clients import forget_clients
from autotuner.adapters.errors import AccessDeniedError, AwsError, TargetNotFoundError
from autotuner.domain.errors import DomainError
from autotuner.domain.inputs.tuning_input import DEFAULT_NUM, MAX_NUM, MIN_NUM
from autotuner_cli import commands
from autotuner_cli.config import LOCAL_PORT, default_stack_name
from autotuner_cli.demo_targets import DEMO_NAMES, DEMO_TARGETS
from autotuner_cli.files import require_writable
from autotuner_cli.input_options import add_input_options, given_input

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DISTRIBUTION = "lambda-autotuner"  # pyproject.toml's project name


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors in one line (usage is what --help is for)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="autotuner", description="Keep AWS Lambda functions at their cheapest good memory.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="run the whole workflow locally against an emulator (no AWS account needed)")
    demo.add_argument(
        "--out", type=Path, default=Path("out"), help="where the HTML report and charts go (default: out/)"
    )
    demo.add_argument(
        "--num", type=_num, default=DEFAULT_NUM, help=f"invocations per memory size (default {DEFAULT_NUM})"
    )
    demo.add_argument("--seed", type=int, default=1, help="seed of the emulated targets' noise")
    demo.add_argument(
        "--only",
        type=_demo_names,
        metavar="NAME[,NAME]",
        help=f"tune only these of the demo's functions ({', '.join(DEMO_NAMES)}; default: all)",
    )

    local = sub.add_parser(
        "local", help="serve a local AWS endpoint with the stack and emulated functions deployed, until Ctrl-C"
    )
    local.add_argument(
        "--port",
        type=_port,
        default=LOCAL_PORT,
        help=f"loopback port to serve on (default {LOCAL_PORT}; 0: any free one)",
    )
    local.add_argument("--seed", type=int, default=1, help="seed of the emulated functions' noise")

    tune = sub.add_parser(
        "tune", help="start a tuning run of FUNCTION and follow it", usage="%(prog)s FUNCTION [options]"
    )
    tune.add_argument("function", help="function name or ARN (name:alias tunes the function and applies to the alias)")
    add_input_options(tune)
    tune.add_argument("--no-wait", dest="wait", action="store_false", help="start the run and return at once")
    _json_option(tune, "print the run's output as JSON (progress goes to stderr)")
    _account_options(tune)

    report = sub.add_parser("report", help="the table and charts of a past run, or of a saved output (offline)")
    report.add_argument(
        "execution_arn",
        nargs="?",
        help="the run's Step Functions execution ARN (printed by `tune`, listed by `history`)",
    )
    report.add_argument(
        "--from",
        dest="saved",
        type=Path,
        metavar="FILE",
        help="a saved output instead: `tune --json`'s or `report --json`'s, or the demo's results file",
    )
    report.add_argument("--html", type=Path, help="write a self-contained HTML report here")
    report.add_argument("--png", type=Path, help="write the chart as a PNG here (one per run: FILE-NAME.png)")
    _json_option(report, "print the run's output as JSON")
    _account_options(report, stack=False)

    history = sub.add_parser("history", help="past runs for FUNCTION (time, trigger, chosen memory, savings)")
    history.add_argument("function", help="function name or ARN (runs of any of its aliases are listed)")
    history.add_argument("--limit", type=_positive, default=100, help="how many recent runs to look through")
    _json_option(history, "print the runs as JSON")
    _account_options(history)

    advise = sub.add_parser(
        "advise", help="the architecture, timeout and concurrency advice of FUNCTION's last run (no new run)"
    )
    advise.add_argument("function", help="function name or ARN (runs of any of its aliases count)")
    advise.add_argument("--limit", type=_positive, default=100, help="how many recent runs to look through")
    _json_option(advise, "print the advice as JSON")
    _account_options(advise)

    savings = sub.add_parser(
        "savings", help="what applied runs save per month, per function and in total (CloudWatch invocations)"
    )
    savings.add_argument("--limit", type=_positive, default=100, help="how many recent runs to look through")
    _json_option(savings, "print the ledger as JSON")
    _account_options(savings)

    profile = sub.add_parser(
        "profile",
        help="the tuning profile that alarm- and schedule-started runs use: stored only by `profile set` or a run "
        "with --save-profile, never from a run's input otherwise",
    )
    actions = profile.add_subparsers(dest="action", required=True, metavar="ACTION")
    profile_set = actions.add_parser(
        "set", help="store FUNCTION's profile (the options of `tune`)", usage="%(prog)s FUNCTION [options]"
    )
    profile_set.add_argument("function", help="function name or ARN")
    add_input_options(profile_set)
    _account_options(profile_set)
    profile_show = actions.add_parser("show", help="show FUNCTION's profile (when and how it was stored) and last run")
    profile_show.add_argument("function", help="function name or ARN")
    _json_option(profile_show, "print the profile as JSON")
    _account_options(profile_show)
    return parser


def _json_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--json", action="store_true", help=help_text)


def _account_options(parser: argparse.ArgumentParser, *, stack: bool = True) -> None:
    group = parser.add_argument_group("AWS account")
    if stack:
        group.add_argument(
            "--stack-name", default=None, help="the deployed stack (default: samconfig.toml's stack_name)"
        )
    group.add_argument("--region", help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's)")
    group.add_argument("--profile", dest="aws_profile", metavar="NAME", help="AWS profile (default: AWS_PROFILE)")
    group.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="send every AWS call here, e.g. `autotuner local` (default: AWS_ENDPOINT_URL)",
    )


def _bounded(low: int, high: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high} (got {value}){what}")
        return value

    return parse


def _demo_names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in DEMO_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"{', '.join(unknown) or 'nothing'}: the demo's functions are {', '.join(DEMO_NAMES)}"
        )
    return names


_num = _bounded(MIN_NUM, MAX_NUM, "; fewer invocations cannot be trusted")
_port = _bounded(0, 65535, "")
_positive = _bounded(1, 1000, "")


def installed_version() -> str:
    """The version pip installed (the package's metadata), so `--version` is what is installed, not a constant."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown (not installed: run `pip install .`)"


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        with aws_environment(arguments):
            return _dispatch(arguments)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILED
    except commands.RunFailedError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as error:
        print(f"error: {explain(error)}", file=sys.stderr)
        return EXIT_USAGE


@contextmanager
def aws_environment(arguments: argparse.Namespace) -> Iterator[None]:
    """--region, --profile and --endpoint-url as boto3 reads them (its environment variables), for this command
    only; and AWS_REGION read as boto3 reads AWS_DEFAULT_REGION (the AWS CLI and the Lambda runtime set it;
    boto3 does not read it)."""
    wanted = {
        "AWS_DEFAULT_REGION": getattr(arguments, "region", None)
        or os.environ.get("AWS_DEFAULT_REGION")
        or os.environ.get("AWS_REGION"),
        "AWS_PROFILE": getattr(arguments, "aws_profile", None),
        "AWS_ENDPOINT_URL": getattr(arguments, "endpoint_url", None),
    }
    changes = {name: value for name, value in wanted.items() if value and os.environ.get(name) != value}
    saved = {name: os.environ.get(name) for name in changes}
    os.environ.update(changes)
    if changes:
        forget_clients()  # clients are cached per region and endpoint, not per profile
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if changes:
            forget_clients()


def explain(error: Exception) -> str:  # noqa: PLR0911 - one case per kind of error a person can fix
    """One line that says what to do."""
    match error:
        case NoCredentialsError() | PartialCredentialsError():
            return "no AWS credentials found: run `aws configure` or set AWS_PROFILE (`autotuner demo` needs none)"
        case NoRegionError():
            return "no AWS region set: pass --region or set AWS_REGION"
        case EndpointConnectionError():
            return f"cannot reach AWS ({error}); check the network, the region, or AWS_ENDPOINT_URL"
        case AccessDeniedError():
            return f"{error}; use credentials allowed to call it"
        case TargetNotFoundError():
            return f"{error}; check the function name and --region"
        case AwsError() | ValueError() | DomainError():
            return str(error)
        case _:
            return f"{type(error).__name__}: {error}"


def _dispatch(arguments: argparse.Namespace) -> int:  # noqa: PLR0911 - one case per command
    stack_name = getattr(arguments, "stack_name", None) or default_stack_name()
    match arguments.command:
        case "demo":
            require_writable(arguments.out, "--out")  # before the emulator starts, not after the whole demo
            from autotuner_cli.demo import run_demo

            only = arguments.only or DEMO_NAMES
            targets = [target for target in DEMO_TARGETS if target.name in only]
            run_demo(arguments.out, num=arguments.num, seed=arguments.seed, targets=targets)
            return EXIT_OK
        case "local":
            from autotuner_cli.local import serve

            return serve(port=arguments.port, seed=arguments.seed)
        case "tune":
            given = given_input(arguments)
            return commands.tune(
                arguments.function,
                stack_name=stack_name,
                tuning=given.values,
                option_of=given.option_of,
                wait=arguments.wait,
                region=arguments.region,
                as_json=arguments.json,
            )
        case "report":
            return commands.report(
                arguments.execution_arn,
                saved=arguments.saved,
                html=arguments.html,
                png=arguments.png,
                as_json=arguments.json,
            )
        case "history" | "advise":  # both read FUNCTION's recent runs
            read_runs = commands.history if arguments.command == "history" else commands.advise
            return read_runs(
                arguments.function,
                stack_name=stack_name,
                region=arguments.region,
                limit=arguments.limit,
                as_json=arguments.json,
            )
        case "savings":
            return commands.savings(stack_name=stack_name, limit=arguments.limit, as_json=arguments.json)
        case "profile" if arguments.action == "set":
            given = given_input(arguments)
            return commands.profile_set(
                arguments.function,
                given.values,
                stack_name=stack_name,
                region=arguments.region,
                option_of=given.option_of,
            )
        case "profile":
            return commands.profile_show(
                arguments.function, stack_name=stack_name, region=arguments.region, as_json=arguments.json
            )
    raise ValueError(f"unknown command {arguments.command}")


if __name__ == "__main__":
    sys.exit(main())
