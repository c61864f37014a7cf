"""Playwright harness: the system Chromium (Debian package), never a downloaded browser.

Every journey calls ``assert_accessible(page)`` on the pages it walks: axe-core (an
exact npm version, installed by ``make axe``) must find no serious or critical
violation, tap targets must be at least 44 px tall and the page must not scroll sideways.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

CHROMIUM = os.environ.get("RANGKUL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE_VIEWPORT = {"width": 360, "height": 740}
ARTIFACTS = Path(os.environ.get("RANGKUL_BROWSER_ARTIFACTS", "test-results"))
ROOT = Path(__file__).resolve().parents[2]
AXE_JS = Path(os.environ.get("RANGKUL_AXE_JS", ROOT / "var/node/node_modules/axe-core/axe.min.js"))
BLOCKING_IMPACTS = ("serious", "critical")
MIN_TAP_TARGET_PX = 44


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """On SQLite, the journeys' database is a file, not a shared in-memory one.

    The live server answers in threads while tasks and the test itself use the database: an
    in-memory database shared between threads locks whole tables and fails at once ("database
    table is locked"), where a file in WAL mode lets readers through and makes a writer wait
    (the settings' busy timeout), as the demo's database does.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("journeys") / "test.sqlite3")


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    # Playwright's sync API runs an event loop in this thread; Django's ORM then refuses
    # synchronous queries from the test unless told that this is deliberate.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install the Debian package `chromium`.")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


def _context(browser: Browser, request: pytest.FixtureRequest, **options: object) -> Iterator[BrowserContext]:
    context = browser.new_context(**options)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    yield context
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for index, page in enumerate(context.pages):
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{index}.png"), full_page=True)
    context.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A desktop-sized page in Indonesian."""
    for context in _context(browser, request, locale="id-ID", viewport={"width": 1280, "height": 900}):
        yield context.new_page()


@pytest.fixture
def phone_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A cheap phone's screen (360×740), touch, Indonesian."""
    for context in _context(browser, request, locale="id-ID", viewport=PHONE_VIEWPORT, has_touch=True, is_mobile=True):
        yield context.new_page()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)


def assert_no_horizontal_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"page scrolls sideways by {overflow}px"


def wait_for_htmx(page: Page) -> None:
    """The swapped-in picker must be settled and processed by htmx before its next change event."""
    page.wait_for_function(
        """() => {
            const picker = document.querySelector('.region-picker');
            const busy = document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping');
            return picker && !busy && picker['htmx-internal-data'] && picker['htmx-internal-data'].initHash;
        }"""
    )


def _pinned_axe_version() -> str:
    match = re.search(r"^AXE_CORE_VERSION\s*:=\s*(\S+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, "the Makefile pins axe-core with AXE_CORE_VERSION := x.y.z"
    return match.group(1)


@cache
def axe_source() -> str:
    """axe-core's script, checked to be the version the Makefile pins."""
    if not AXE_JS.is_file():
        pytest.fail(f"axe-core not found at {AXE_JS}: run `make axe` (needs npm).")
    package = json.loads((AXE_JS.parent / "package.json").read_text())
    if package["version"] != _pinned_axe_version():
        pytest.fail(
            f"axe-core {package['version']} installed, the Makefile pins {_pinned_axe_version()}: run `make axe`."
        )
    return AXE_JS.read_text()


def scripts_run(page: Page) -> bool:
    """Whether the page runs its own scripts (False in a context with JavaScript off)."""
    return page.evaluate(
        """() => {
            const probe = document.createElement('script');
            probe.textContent = 'window.__rangkulScriptsRun = true';
            document.head.appendChild(probe);
            probe.remove();
            return window.__rangkulScriptsRun === true;
        }"""
    )


def _prepare_for_axe(page: Page) -> None:
    """Settle htmx, then load axe-core; with JavaScript off, timers never fire, so axe runs on microtasks."""
    page.wait_for_load_state("load")
    if scripts_run(page):
        # Checked as a person sees it: no htmx request in flight, nothing half swapped in.
        page.wait_for_function(
            "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping, .htmx-added')"
        )
    else:
        page.evaluate(
            """() => {
                window.setTimeout = (callback, _delay, ...args) => {
                    Promise.resolve().then(() => callback(...args));
                    return 0;
                };
                window.clearTimeout = () => {};
            }"""
        )
    page.evaluate(axe_source())


def axe_violations(page: Page, *, impacts: Iterable[str] = BLOCKING_IMPACTS) -> list[dict[str, object]]:
    """axe-core's violations of the given impacts on the page as it is now (JavaScript on or off)."""
    _prepare_for_axe(page)
    violations = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary})),
            }));
        }"""
    )
    wanted = set(impacts)
    return [v for v in violations if v["impact"] in wanted]


def small_tap_targets(page: Page) -> list[str]:
    """Visible controls shorter than 44 px: buttons, fields, and links that stand alone (menus, pagers)."""
    return page.evaluate(
        """(minimum) => {
            const selector = 'button, select, textarea, a.button, [role=button], '
                + 'input:not([type=hidden]):not([type=checkbox]):not([type=radio]), '
                + 'nav a, .menu a, .pager a, label:has(> input[type=checkbox]), label:has(> input[type=radio])';
            const small = [];
            for (const element of document.querySelectorAll(selector)) {
                const box = element.getBoundingClientRect();
                const style = getComputedStyle(element);
                if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
                if (element.closest('.skip')) continue;
                if (box.height < minimum - 0.5) {
                    const name = (element.innerText || element.value || element.name || '').trim().slice(0, 40);
                    small.push(`${element.tagName.toLowerCase()} "${name}" is ${Math.round(box.height)}px tall`);
                }
            }
            return small;
        }""",
        MIN_TAP_TARGET_PX,
    )


def assert_accessible(page: Page) -> None:
    """No serious or critical axe-core violation, tap targets at least 44 px tall, no sideways scrolling."""
    violations = axe_violations(page)
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(f"    {n['target']}: {n['summary']}" for n in v["nodes"][:5])  # type: ignore[attr-defined]
        for v in violations
    )
    assert not violations, f"axe-core found serious or critical violations on {page.url}:\n{report}"
    small = small_tap_targets(page)
    assert not small, f"tap targets under {MIN_TAP_TARGET_PX}px on {page.url}:\n" + "\n".join(small)
    assert_no_horizontal_scroll(page)


# A page script that answers "activated" once the page's service worker has finished activating.
SERVICE_WORKER_ACTIVATED = """() => navigator.serviceWorker.ready.then((registration) => {
    const worker = registration.active;
    if (worker.state === "activated") return "activated";
    return new Promise((done) => worker.addEventListener("statechange", () => {
        if (worker.state === "activated") done("activated");
    }));
})"""
