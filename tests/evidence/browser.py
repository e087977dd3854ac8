"""Headless Chromium for the HTML evidence report's print and layout tests (tests only).

Chromium comes from Debian's packages (`apt-get install chromium`; .ci/run installs it when missing). Without
it the tests that need it fail, saying what to install: they are never skipped. Each run gets its own profile
folder and a time limit.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT_SECONDS = 120
# Measures the laid-out page and writes the result on <body> for --dump-dom: the page's scroll width, and
# how many table cells end past the window's right edge (cut off, or only seen by scrolling sideways).
MEASURE = """<script>
(() => {
  const right = window.innerWidth;
  const cells = [...document.querySelectorAll("th, td")];
  const past = cells.filter((c) => c.getBoundingClientRect().right > right + 0.5);
  document.body.dataset.windowWidth = String(right);
  document.body.dataset.scrollWidth = String(document.documentElement.scrollWidth);
  document.body.dataset.cells = String(cells.length);
  document.body.dataset.cellsPastRightEdge = String(past.length);
  document.body.dataset.firstPast = past.length ? past[0].textContent.slice(0, 80) : "";
})();
</script>"""


class BrowserUnavailable(RuntimeError):
    """No `chromium` on PATH."""


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        raise BrowserUnavailable(
            "`chromium` is not on PATH: the HTML evidence report's print tests drive headless Chromium; "
            "install Debian's package (`apt-get install chromium`, as .ci/run does when it is missing)"
        )
    return found


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="recertify-chromium-") as profile:
        done = subprocess.run(
            [
                chromium(),
                "--headless",
                "--disable-gpu",
                "--no-sandbox",
                "--no-first-run",
                "--disable-extensions",
                f"--user-data-dir={profile}",
                *arguments,
            ],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"chromium failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done


def print_to_pdf(page: Path, pdf: Path) -> Path:
    """The page printed as a person would print it (the page's own @page size, no browser header)."""
    _run("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    if not pdf.exists() or pdf.stat().st_size == 0:
        raise RuntimeError(f"chromium printed nothing to {pdf}")
    return pdf


def measure_at(page: Path, width: int, out: Path) -> str:
    """The page's DOM after layout in a window `width` px wide, with MEASURE's results on <body>. The report
    forbids scripts (its Content-Security-Policy): this copy drops that header to run the measurement."""
    text = page.read_text(encoding="utf-8")
    head, policy, rest = text.partition('<meta http-equiv="Content-Security-Policy"')
    assert policy, "the report carries its Content-Security-Policy"
    copy = out / f"measured-{page.name}"
    copy.write_text(head + rest.split(">", 1)[1].replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    return _run(f"--window-size={width},900", "--dump-dom", copy.as_uri()).stdout
