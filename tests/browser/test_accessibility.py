"""axe-core in the browser on the pages people use most, at desktop and phone widths.

axe-core is pinned in tests/browser/axe (npm, installed by `make browser`). It is evaluated through the DevTools
protocol, so the page's Content-Security-Policy stays as served.
"""

from pathlib import Path

import pytest

from content import services
from tests.browser.shelf import log_in

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": (1280, 900), "phone": (375, 740)}
BLOCKING = {"serious", "critical"}


def axe_violations(page) -> list[dict]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make browser` (installs axe-core from npm).")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "where": [node["target"] for node in violation["nodes"][:3]],
        }
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
    ]


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_feed_item_profile_and_saved_pages_have_no_serious_accessibility_violations(
    browser, live_server, catalog, reader, width
):
    services.interaction_record(user=reader, item=catalog[1], kind="save")
    context = browser.new_context(viewport=dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    page = context.new_page()
    page.set_default_timeout(30_000)
    base = live_server.url
    try:
        found = {}
        page.goto(base + "/")
        found["anonymous feed"] = axe_violations(page)
        log_in(page, base)
        for name, path in [
            ("feed", "/"),
            ("item", f"/items/{catalog[0].pk}/"),
            ("profile", "/me/"),
            ("saved", "/me/saved/"),
        ]:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            found[name] = axe_violations(page)
    finally:
        context.close()
    assert not any(found.values()), {name: issues for name, issues in found.items() if issues}
