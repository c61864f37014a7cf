"""The accessibility check itself: it must fail on what it promises to catch, with JavaScript on and off."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import PHONE_VIEWPORT, _context, assert_accessible, axe_violations

pytestmark = [pytest.mark.browser]

GOOD = """<!doctype html><html lang="id"><head><title>Baik</title></head><body>
<main><h1>Halaman</h1><p><button style="min-height:44px">Simpan</button></p></main></body></html>"""


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def bare_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    options = {"viewport": PHONE_VIEWPORT, "java_script_enabled": request.param}
    for context in _context(browser, request, locale="id-ID", **options):
        yield context.new_page()


def test_a_clean_page_passes(bare_page: Page) -> None:
    bare_page.set_content(GOOD)
    assert_accessible(bare_page)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '<main><h1>x</h1><div style="overflow-x:auto"><table><tr>'
            + "<td>Rp1.000.000 dibayar</td>" * 30
            + "</tr></table></div></main>",
            "scrollable-region-focusable",
        ),
        ('<main><h1>x</h1><p style="color:#aaa;background:#fff">faint text</p></main>', "color-contrast"),
        ('<main><h1>x</h1><button style="min-height:44px"></button></main>', "button-name"),
    ],
)
def test_serious_violations_fail(bare_page: Page, body: str, expected: str) -> None:
    bare_page.set_content(f'<!doctype html><html lang="id"><head><title>x</title></head><body>{body}</body></html>')
    assert expected in {v["id"] for v in axe_violations(bare_page)}
    with pytest.raises(AssertionError, match=expected):
        assert_accessible(bare_page)


def test_small_tap_targets_and_sideways_scrolling_fail(bare_page: Page) -> None:
    bare_page.set_content(GOOD.replace("min-height:44px", "height:24px"))
    with pytest.raises(AssertionError, match="tap targets under 44px"):
        assert_accessible(bare_page)
    bare_page.set_content(GOOD.replace("<h1>Halaman</h1>", '<h1 style="width:800px">Halaman</h1>'))
    with pytest.raises(AssertionError, match="scrolls sideways"):
        assert_accessible(bare_page)
