"""The "try next" lines as a reader's shell will run them, wherever the demo was started from.

The README installs into `.venv` without activating it, so a bare `recertify` is often not on PATH: a
console script is printed bare only when PATH finds this very installation's, and by its path otherwise.
Opening a file is `open` on macOS and `xdg-open` on Linux desktops; elsewhere the report's file URL is
printed for a browser.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from cli.demo.target import relative


def console_script(name: str) -> str:
    """`name` (one of our console scripts) as the shell that started this process can run it."""
    installed = Path(sys.executable).with_name(name)
    if not installed.exists():
        return name  # not a virtual environment's script (e.g. run in place): PATH is all we can say
    found = shutil.which(name)
    if found is not None and Path(found).resolve() == installed.resolve():
        return name
    shown = relative(installed)
    return shown if "/" in shown else f"./{shown}"


def open_file_line(path: Path) -> str:
    """A line that shows `path` in the reader's browser, for this platform."""
    if sys.platform == "darwin":
        return f"open {relative(path)}"
    if sys.platform.startswith("linux") and shutil.which("xdg-open"):
        return f"xdg-open {relative(path)}"
    return f"# open {path.resolve().as_uri()} in a browser"
