"""Browser tests: the portal in Debian's Chromium, driven by Playwright (pytest-playwright).

Chromium is launched by its executable path (CHROMIUM_PATH, else `chromium` on PATH, else
/usr/bin/chromium); Playwright never downloads a browser. Without Chromium the tests are skipped
with the reason. Each page a journey visits is checked by `check_page`: axe-core finds no serious
or critical violation, the document is no wider than the viewport, and no request has left
127.0.0.1 (every other request is aborted and recorded). A failing test leaves a screenshot in
test-results/browser/, and the paths are printed at the end of the run.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

from .helpers import check_page

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "test-results" / "browser"
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
_screenshots = []
# The live server on 127.0.0.1 (pytest-django's default is "localhost"): the only host requests may reach.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")


def _chromium_missing():
    return not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK))


def pytest_collection_modifyitems(config, items):
    # Playwright's sync API keeps an event loop on the main thread once started, and Django
    # refuses ORM calls under a running loop: the browser tests go last so no other test meets it.
    browser = [i for i in items if "tests/browser/" in str(i.fspath).replace(os.sep, "/")]
    others = [i for i in items if i not in browser]
    items[:] = others + browser
    if _chromium_missing() and browser:
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"
        if os.environ.get("REQUIRE_BROWSER"):
            # CI sets it: there a missing browser is a failure, not a quiet skip.
            raise pytest.UsageError(reason)
        for item in browser:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter):
    if _screenshots:
        terminalreporter.section("browser test screenshots")
        for path in _screenshots:
            terminalreporter.write_line(f"screenshot of a failure: {path}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session", autouse=True)
def _orm_beside_playwright():
    """Playwright's sync API keeps an event loop on the main thread from the first browser test to
    the end of the session, and Django refuses ORM calls (the factories, the assertions, the test
    database's teardown) under a running loop: here they are ordinary synchronous calls.

    Set when the first browser test starts (they run last), not at import: the other tests, and
    the subprocesses some of them start (`check --deploy`), must not inherit it.
    """
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(scope="session")
def browser_type_launch_args(_orm_beside_playwright, browser_type_launch_args):
    """pytest-playwright's launch arguments: Debian's Chromium, headless, nothing phoning home."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS, "headless": True}


@pytest.fixture
def site(live_server, settings):
    """The live server as the emails and the digest link to it (SITE_URL)."""
    settings.SITE_URL = live_server.url
    return live_server.url


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request):
    return request.param


@pytest.fixture
def visit(browser, site, viewport, request):
    """visit(user) -> a signed-in Page at the test's viewport, on a fresh browser context."""
    contexts, outside = [], []

    def guard(route):
        url = route.request.url
        if re.match(r"^(https?|wss?)://127\.0\.0\.1[:/]", url) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    def make(user=None):
        context = browser.new_context(viewport=VIEWPORTS[viewport], base_url=site)
        context.route("**/*", guard)
        contexts.append(context)
        page = context.new_page()
        page.outside_requests = outside
        page.viewport_name = viewport
        if user is not None:
            sign_in(page, user.email)
        return page

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for n, context in enumerate(contexts):
            for m, page in enumerate(context.pages):
                name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::")[-1])
                path = SCREENSHOTS / f"{name}-{n}-{m}.png"
                page.screenshot(path=str(path), full_page=True)
                _screenshots.append(str(path))
    for context in contexts:
        context.close()
    assert not outside, f"requests left 127.0.0.1: {outside}"


def sign_in(page, email, password=PASSWORD):
    page.goto("/accounts/login/")
    check_page(page)
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))
