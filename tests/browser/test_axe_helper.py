"""The accessibility check itself: it must catch what it is there to catch."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import axe_check

pytestmark = pytest.mark.browser


def test_axe_check_fails_on_serious_violations(page: Page) -> None:
    page.set_content(
        '<!doctype html><html lang="de"><head><title>Probe</title></head><body><main>'
        '<h1>Probe</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<button type="button"></button></main></body></html>'
    )
    with pytest.raises(pytest.fail.Exception) as failure:
        axe_check(page)
    message = str(failure.value)
    assert "image-alt" in message
    assert "button-name" in message


def test_axe_check_passes_a_clean_page(page: Page) -> None:
    page.set_content(
        '<!doctype html><html lang="de"><head><title>Probe</title></head><body><main>'
        "<h1>Probe</h1><p>Ein ruhiger Absatz.</p>"
        '<button type="button">Speichern</button></main></body></html>'
    )
    axe_check(page)
