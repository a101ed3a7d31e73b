"""Entry point of the `autotuner` command. Errors a person can act on are one line each, never a traceback."""

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from botocore.exceptions import EndpointConnectionError, NoCredentialsError, NoRegionError, PartialCredentialsError

from autotuner.adapters.errors import AccessDeniedError, AwsError, TargetNotFoundError
from autotuner.domain.errors import DomainError
from autotuner_cli import commands
from autotuner_cli.config import default_stack_name

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DISTRIBUTION = "lambda-autotuner"  # pyproject.toml's project name


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autotuner", description="Keep AWS Lambda functions at their cheapest good memory."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="run the whole workflow locally against an emulator (no AWS account needed)")
    demo.add_argument(
        "--out", type=Path, default=Path("out"), help="where the HTML report and charts go (default: out/)"
    )
    demo.add_argument("--num", type=int, default=10, help="invocations per memory size (default 10)")
    demo.add_argument("--seed", type=int, default=1, help="seed of the emulated targets' noise")

    tune = sub.add_parser("tune", help="start a tuning run of FUNCTION and follow it")
    tune.add_argument("function", help="function name or ARN (name:alias tunes the function and applies to the alias)")
    _tuning_arguments(tune)
    tune.add_argument(
        "--save-profile",
        action="store_true",
        help="once the run succeeds, store these options (payload included) as FUNCTION's profile, which alarm- "
        "and schedule-started runs use (saveProfile); without it a run stores nothing of its input",
    )
    tune.add_argument("--no-wait", dest="wait", action="store_false", help="start the run and return at once")
    _account_options(tune)

    report = sub.add_parser("report", help="the table and charts of a past run")
    report.add_argument(
        "execution_arn", help="the run's Step Functions execution ARN (printed by `tune`, listed by `history`)"
    )
    report.add_argument("--html", type=Path, help="write a self-contained HTML report here")
    report.add_argument("--png", type=Path, help="write the chart as a PNG here")
    report.add_argument("--json", action="store_true", help="print the run's output as JSON")
    report.add_argument("--region", help="AWS region (default: from the environment or profile)")

    history = sub.add_parser("history", help="past runs for FUNCTION (time, trigger, chosen memory, savings)")
    history.add_argument("function", help="function name or ARN (runs of any of its aliases are listed)")
    history.add_argument("--limit", type=int, default=100, help="how many recent runs to look through")
    _account_options(history)

    savings = sub.add_parser(
        "savings", help="what applied runs save per month, per function and in total (CloudWatch invocations)"
    )
    savings.add_argument("--limit", type=int, default=100, help="how many recent runs to look through")
    _account_options(savings)

    profile = sub.add_parser(
        "profile",
        help="the tuning profile that alarm- and schedule-started runs use: stored only by `profile set` or a run "
        "with --save-profile, never from a run's input otherwise",
    )
    actions = profile.add_subparsers(dest="action", required=True, metavar="ACTION")
    profile_set = actions.add_parser(
        "set", help="store FUNCTION's profile (the options of `tune`, payload included), recorded as stored by it"
    )
    profile_set.add_argument("function", help="function name or ARN")
    _tuning_arguments(profile_set)
    _account_options(profile_set)
    profile_show = actions.add_parser("show", help="show FUNCTION's profile (when and how it was stored) and last run")
    profile_show.add_argument("function", help="function name or ARN")
    _account_options(profile_show)
    return parser


def _tuning_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strategy",
        choices=["cost", "speed", "balanced"],
        default="cost",
        help="what to minimise: cost per invocation, duration, or a balance of both (default: cost)",
    )
    parser.add_argument("--num", type=int, default=10, help="invocations per memory size")
    parser.add_argument("--memory", help="comma-separated sizes in MB, or ALL (default: the stack's PowerValues)")
    parser.add_argument("--apply", action="store_true", help="apply the chosen memory (autoOptimize)")
    parser.add_argument("--alias", help="apply through this alias (autoOptimizeAlias)")
    parser.add_argument("--payload", help="JSON payload to invoke the function with")
    parser.add_argument("--budget", type=float, help="refuse runs estimated above this many USD (budgetUsd)")
    parser.add_argument("--adaptive", action="store_true", help="use the adaptive search")


def _account_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack-name", default=None, help="the deployed stack (default: samconfig.toml's stack_name)")
    parser.add_argument("--region", help="AWS region (default: from the environment or profile)")


def installed_version() -> str:
    """The version pip installed (the package's metadata), so `--version` is what is installed, not a constant."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown (not installed: run `pip install .`)"


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    if getattr(arguments, "region", None):
        os.environ["AWS_DEFAULT_REGION"] = arguments.region
    try:
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
            from autotuner_cli.demo import run_demo

            run_demo(arguments.out, num=arguments.num, seed=arguments.seed)
            return EXIT_OK
        case "tune":
            save = {"saveProfile": True} if arguments.save_profile else {}
            return commands.tune(
                arguments.function,
                stack_name=stack_name,
                tuning=_tuning_options(arguments) | save,
                wait=arguments.wait,
                region=arguments.region,
            )
        case "report":
            return commands.report(
                arguments.execution_arn, html=arguments.html, png=arguments.png, as_json=arguments.json
            )
        case "history":
            return commands.history(
                arguments.function, stack_name=stack_name, region=arguments.region, limit=arguments.limit
            )
        case "savings":
            return commands.savings(stack_name=stack_name, limit=arguments.limit)
        case "profile" if arguments.action == "set":
            return commands.profile_set(
                arguments.function, _tuning_options(arguments), stack_name=stack_name, region=arguments.region
            )
        case "profile":
            return commands.profile_show(arguments.function, stack_name=stack_name, region=arguments.region)
    raise ValueError(f"unknown command {arguments.command}")


def _sizes(text: str) -> list[int | str]:
    """Whole numbers as numbers (stored so in a profile); anything else is left for the contract to name."""
    parts = [part.strip() for part in text.split(",")]
    return [int(part) if part.isdigit() else part for part in parts]


def _tuning_options(arguments: argparse.Namespace) -> dict[str, object]:
    options: dict[str, object] = {"num": arguments.num, "strategy": arguments.strategy}
    if arguments.memory:
        options["powerValues"] = "ALL" if arguments.memory.upper() == "ALL" else _sizes(arguments.memory)
    if arguments.apply:
        options["autoOptimize"] = True
    if arguments.alias:
        options["autoOptimizeAlias"] = arguments.alias
    if arguments.payload is not None:
        options["payload"] = commands.parse_payload(arguments.payload)
    if arguments.budget is not None:
        options["budgetUsd"] = arguments.budget
    if arguments.adaptive:
        options["search"] = "adaptive"
    return options


if __name__ == "__main__":
    sys.exit(main())
