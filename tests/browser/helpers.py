"""The checks every page a journey visits must pass."""

from axe_playwright_python.sync_playwright import Axe

_axe = Axe()


def axe_problems(page):
    """axe-core's serious and critical violations on the page, as "rule: target" lines."""
    violations = _axe.run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {', '.join(str(n['target']) for n in v['nodes'])}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def check_page(page):
    """No serious or critical axe violation, nothing wider than the viewport, nothing sent outside."""
    page.wait_for_load_state("load")
    problems = axe_problems(page)
    assert not problems, f"{page.url}: {problems}"
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{page.url} is {width} px wide in a {viewport} px viewport"
    assert not page.outside_requests, f"requests left 127.0.0.1: {page.outside_requests}"
