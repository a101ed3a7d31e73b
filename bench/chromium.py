"""Headless Chromium, as the report's browser tests and the README's screenshot run it: offline, in a window of a
given size, and with every process it started gone when a call returns."""

import contextlib
import os
import shutil
import signal
import subprocess
from pathlib import Path


class ChromiumError(RuntimeError):
    """Chromium is missing, failed or did not finish in time; the message says which."""


def chromium_path() -> str:
    path = os.environ.get("AUTOTUNER_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None and Path("/usr/bin/chromium").exists():  # Debian's package, when PATH leaves it out
        path = "/usr/bin/chromium"
    if path is None:
        raise ChromiumError("Chromium is not installed; `.ci/run` installs it (apt-get install chromium)")
    return path


def run_headless(arguments: list[str], profile: Path, window: tuple[int, int], timeout_s: float) -> str:
    """Chromium's standard output for ``arguments`` (e.g. ``--screenshot=PNG URL``), run with ``profile`` as its
    user data directory; its process group is ended before this returns, whatever happened."""
    command = [
        chromium_path(),
        "--headless",
        "--no-sandbox",  # the tests run as root, where Chromium's sandbox refuses to start
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--window-size={window[0]},{window[1]}",
        *arguments,
    ]
    # Its own process group, so the renderer, zygote and crash handler can be ended with it.
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=os.environ | {"HOME": str(profile.parent)},
    ) as browser:
        try:
            stdout, stderr = browser.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            end_group(browser.pid)
            browser.communicate()
            raise ChromiumError(f"Chromium did not finish within {timeout_s} s") from None
        finally:
            end_group(browser.pid)
    if browser.returncode != 0:
        raise ChromiumError(f"Chromium failed ({browser.returncode}): {stderr.decode(errors='replace')[-2000:]}")
    return stdout.decode(errors="replace")


def end_group(group: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(group, signal.SIGKILL)
