"""Every field of the tuning input as an option of the CLI, derived from the input's model (TuningInput), so a
field added to the model appears here without being listed. `--input FILE` gives any of them from a JSON file;
a flag overrides the file. Only what the user gave is sent: the state machine applies its own defaults, among
them the choice between the adaptive search and the sweep (adaptive when neither num nor powerValues is given).
"""

import argparse
import json
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from autotuner.domain.inputs.tuning_input import TuningInput
from autotuner_cli.files import read_json

# Names kept from earlier versions of the CLI, beside the name derived from the field.
SHORT_NAMES = {
    "powerValues": "--memory",
    "autoOptimize": "--apply",
    "autoOptimizeAlias": "--alias",
    "budgetUsd": "--budget",
}
POSITIONAL = {"lambdaARN": "FUNCTION"}  # given as the command's argument, not as an option
# Nested objects whose fields read plainly without the object's name (--max-p95-duration-ms).
FLATTENED = {"constraints"}
HELP = {
    "num": "invocations per memory size (giving it, or --memory, asks for a sweep)",
    "powerValues": "comma-separated sizes in MB, or ALL (default: the stack's PowerValues)",
    "strategy": "what to minimise: cost per invocation, duration, or a balance of both (default: cost)",
    "autoOptimize": "apply the chosen memory",
    "autoOptimizeAlias": "apply through this alias",
    "payload": "JSON payload to invoke the function with",
    "budgetUsd": "refuse runs estimated above this many USD",
    "search": "adaptive or sweep (default: adaptive, unless num or sizes are given)",
}
METAVARS = {int: "N", float: "NUMBER"}
TUNING_DEST = "tuning_flags"  # input field path -> value, only for the flags given
TYPED_DEST = "typed_options"  # input field path -> the option the user typed (for error messages)
DEST_PREFIX = "input:"  # an option's own destination, never set: the actions keep values in TUNING_DEST


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """The options of every input field, plus --input FILE."""
    parser.add_argument(
        "--input", type=Path, metavar="FILE", help="a JSON file with the run's input (options given here override it)"
    )
    parser.set_defaults(**{TUNING_DEST: {}, TYPED_DEST: {}})
    group = parser.add_argument_group("tuning input", "each field of the state machine's input (see docs/input.md)")
    for name, field in TuningInput.model_fields.items():
        key = _key(name, field)
        if key in POSITIONAL:
            continue
        _add_field(group, (key,), name, field)
    group.add_argument(
        "--adaptive", action=_Store, nargs=0, const="adaptive", dest=_dest(("search",)), default=argparse.SUPPRESS,
        help="the same as --search adaptive",
    )  # fmt: skip


@dataclass(frozen=True)
class GivenInput:
    """The input the user gave, and where each field came from (an option, or the --input file's field), so that
    the contract's problems name what the user typed."""

    values: dict[str, Any]
    option_of: dict[str, str]  # input field, dotted for a nested one -> the option or file field that set it


def given_input(arguments: argparse.Namespace) -> GivenInput:
    """The --input file's fields, then each flag over them (a nested field over the file's object)."""
    source: Path | None = getattr(arguments, "input", None)
    values: dict[str, Any] = read_input_file(source) if source else {}
    for key in POSITIONAL:  # the command's FUNCTION names the target, whatever the file's lambdaARN says
        values.pop(key, None)
    option_of = {key: f"{source}: {key}" for key in values}
    for path, value in getattr(arguments, TUNING_DEST, {}).items():
        target = values
        for part in path[:-1]:
            if not isinstance(target.get(part), dict):
                target[part] = {}
            target = target[part]
        target[path[-1]] = value
    option_of |= {".".join(path): option for path, option in getattr(arguments, TYPED_DEST, {}).items()}
    return GivenInput(values, option_of)


def read_input_file(path: Path) -> dict[str, Any]:
    loaded = read_json(path, "--input")
    if not isinstance(loaded, dict):
        raise ValueError(f"--input {path}: expected a JSON object (the state machine's input)")
    return loaded


def _key(name: str, field: FieldInfo) -> str:
    return field.alias or name


def _dest(path: tuple[str, ...]) -> str:
    return DEST_PREFIX + ".".join(path)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _add_field(group: Any, path: tuple[str, ...], name: str, field: FieldInfo, prefix: str = "") -> None:
    annotation = _without_none(field.annotation)
    flag = _flag(prefix + name)
    names = [flag, *([SHORT_NAMES[path[0]]] if len(path) == 1 and path[0] in SHORT_NAMES else [])]
    help_text = _help(path, field)
    if annotation is bool:
        group.add_argument(
            *names, *[f"--no-{n.removeprefix('--')}" for n in names], action=_StoreFlag, nargs=0, dest=_dest(path),
            default=argparse.SUPPRESS, help=help_text,
        )  # fmt: skip
        return
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        group.add_argument(
            *names, action=_Store, nargs="?", const={}, type=_json_object(flag), dest=_dest(path), metavar="JSON",
            default=argparse.SUPPRESS,
            help=f"{help_text}; the object as JSON (alone: its defaults), its fields also as options below",
        )  # fmt: skip
        child_prefix = "" if name in FLATTENED else f"{prefix}{name}_"
        for child_name, child in annotation.model_fields.items():
            _add_field(group, (*path, _key(child_name, child)), child_name, child, child_prefix)
        return
    parse, choices, metavar = _parser(path, annotation, flag)
    group.add_argument(
        *names, action=_Store, type=parse, choices=choices, dest=_dest(path), default=argparse.SUPPRESS,
        metavar=metavar or (None if choices else METAVARS.get(annotation, "VALUE")), help=help_text,
    )  # fmt: skip


def _help(path: tuple[str, ...], field: FieldInfo) -> str:
    described = HELP.get(".".join(path)) or field.description
    where = f"input field {'.'.join(path)}"
    return f"{described} ({where})" if described else where


def _parser(path: tuple[str, ...], annotation: Any, flag: str) -> tuple[Callable[[str], Any], Any, str | None]:
    if path == ("powerValues",):
        return _sizes, None, "SIZES"
    if annotation in {int, float, str}:
        return annotation, None, None
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return str, [member.value for member in annotation], None
    if get_origin(annotation) is Literal:
        return str, [str(value) for value in get_args(annotation)], None
    if get_origin(annotation) is list and get_args(annotation) in {(str,), ()}:
        return _comma_list, None, "A,B"
    return _json_value(flag), None, "JSON"


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in {Union, types.UnionType}:
        remaining = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(remaining) == 1:
            return remaining[0]
    return annotation


def _sizes(text: str) -> list[int | str] | str:
    """Whole numbers as numbers (stored so in a profile); anything else is left for the contract to name."""
    if text.strip().upper() == "ALL":
        return "ALL"
    return [int(part) if part.isdigit() else part for part in (p.strip() for p in text.split(","))]


def _comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _json_value(flag: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise argparse.ArgumentTypeError(f"{flag} is not JSON: {error}") from None

    return parse


def _json_object(flag: str) -> Callable[[str], dict[str, Any]]:
    parse_json = _json_value(flag)

    def parse(text: str) -> dict[str, Any]:
        value = parse_json(text)
        if not isinstance(value, dict):
            raise argparse.ArgumentTypeError(f"{flag} must be a JSON object")
        return value

    return parse


class _Store(argparse.Action):
    """Keeps the value under its input field's path, and which option the user typed for it."""

    def __call__(
        self, _: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        path = tuple(self.dest.removeprefix(DEST_PREFIX).split("."))
        value = self.const if self.nargs in {0, "?"} and values in (None, []) else values
        _remember(namespace, path, value, option)


class _StoreFlag(argparse.Action):
    """--x sets the field true, --no-x false."""

    def __call__(self, _: argparse.ArgumentParser, namespace: argparse.Namespace, __: Any, option: Any = None) -> None:
        path = tuple(self.dest.removeprefix(DEST_PREFIX).split("."))
        _remember(namespace, path, not (option or "").startswith("--no-"), option)


def _remember(namespace: argparse.Namespace, path: Sequence[str], value: Any, option: str | None) -> None:
    flags = dict(getattr(namespace, TUNING_DEST, {}))
    typed = dict(getattr(namespace, TYPED_DEST, {}))
    flags[tuple(path)], typed[tuple(path)] = value, option or ""
    setattr(namespace, TUNING_DEST, flags)
    setattr(namespace, TYPED_DEST, typed)
