"""The files the CLI reads and writes, with one-line errors that name the option that gave the path."""

import json
import tempfile
from pathlib import Path
from typing import Any


def read_json(path: Path, option: str) -> Any:
    try:
        return json.loads(path.read_text())
    except OSError as error:
        raise ValueError(f"{option} {path}: cannot read it ({error.strerror or error})") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{option} {path}: not JSON ({error})") from None


def require_writable(folder: Path, option: str) -> None:
    """Refuse, before anything runs, a place a command could not write its files to."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise ValueError(f"{option} {folder}: cannot write there ({error.strerror or error})") from None
