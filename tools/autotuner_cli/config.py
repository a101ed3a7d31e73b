"""Where the CLI finds its defaults: samconfig.toml's stack name (the same file `sam deploy` reads)."""

import tomllib
from pathlib import Path

DEFAULT_STACK_NAME = "lambda-autotuner"


def default_stack_name(start: Path | None = None) -> str:
    """stack_name from the nearest samconfig.toml (this folder or a parent), else the project's default."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        config = candidate / "samconfig.toml"
        if config.is_file():
            parsed = tomllib.loads(config.read_text())
            name = parsed.get("default", {}).get("global", {}).get("parameters", {}).get("stack_name")
            return str(name) if name else DEFAULT_STACK_NAME
    return DEFAULT_STACK_NAME


# `autotuner local`'s default port: the one local AWS emulators conventionally serve on.
LOCAL_PORT = 4566
