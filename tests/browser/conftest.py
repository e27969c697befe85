"""Real-browser tests: Debian's Chromium driven by Playwright against a live server,
with a real Celery worker process. Screenshots go to var/test-artifacts/screenshots."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "e2e" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests
# make between browser steps are ordinary blocking calls and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    # Browser journeys run last: they are the slowest, and Playwright's session-wide
    # event loop is then only alive for them.
    items.sort(key=lambda item: "tests/browser/" in str(item.fspath))
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError("CI needs Chromium for the browser tests: apt-get install chromium")
    skip = pytest.mark.skip(reason="Chromium not installed: sudo apt-get install chromium")
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # axe is injected as a script; the CSP (rightly) forbids that for real pages.
    return {**browser_context_args, "bypass_csp": True, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def shoot(request):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str) -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def axe_check():
    """Run axe-core in the page and fail on serious or critical violations."""

    def check(page) -> None:
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        summary = [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in bad
        ]
        assert not bad, f"axe found serious/critical violations on {page.url}:\n{json.dumps(summary, indent=2)}"

    return check


@pytest.fixture
def login(live_server):
    def sign_in(page, email: str, password: str = "correct-horse-battery-staple") -> None:
        page.context.clear_cookies()  # sign out whoever was signed in
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=login]", email)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/**")

    return sign_in


_STARTED = time.time()


def pytest_terminal_summary(terminalreporter):
    """Name every screenshot this run took, so the summary says what to look at."""
    if not SCREENSHOTS.exists():
        return
    taken = sorted(path.name for path in SCREENSHOTS.glob("*.png") if path.stat().st_mtime >= _STARTED)
    if taken:
        terminalreporter.write_sep("-", f"{len(taken)} browser screenshots in {SCREENSHOTS}")
        for name in taken:
            terminalreporter.write_line(f"  {name}")


@pytest.fixture
def celery_worker_process(transactional_db, artifacts_dir):
    """A real worker on the real broker; the live server enqueues to it (no eager mode)."""
    from advocacy.celery import app
    from tests.support.worker import running_worker

    app.conf.task_always_eager = False
    try:
        with running_worker(log_dir=artifacts_dir / "workers", concurrency=2) as worker:
            yield worker
    finally:
        app.conf.task_always_eager = True
