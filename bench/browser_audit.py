"""Audit every portal page in headless Chromium: axe serious/critical counts and document width.

Runs against a server already serving the demo company (`make run`, or `manage.py seed_demo` then
`runserver`), signs in as an engineer, a hiring manager and HR, and prints one line per page:

    .venv/bin/python bench/browser_audit.py --base-url http://127.0.0.1:8170 [--width 390]

The numbers in the README's browser section were measured with it, before and after issue 17.
Uses the same Django database as the server to find ids (DJANGO_SETTINGS_MODULE, DATABASE_URL).
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
# Playwright's sync API runs an event loop in this thread; the ORM reads here are plain and short.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from accounts.models import User  # noqa: E402
from openings.models import Opening  # noqa: E402
from referrals.models import Referral  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "referral-demo-2026"


def pages_for(email):
    """The pages each demo person is audited on, with ids taken from the demo data."""
    user = User.objects.get(email=email)
    mine = Opening.objects.filter(posted_by=user).order_by("pk").first()
    seen = Opening.objects.visible_to(user).exclude(posted_by=user).filter(status="open").order_by("pk").first()
    referral = (
        (Referral.objects.filter(opening__posted_by=user) | Referral.objects.filter(referrer=user))
        .order_by("pk")
        .first()
    )
    other = User.objects.active().exclude(pk=user.pk).order_by("pk").first()
    urls = [
        "/",
        "/openings/",
        "/openings/mine/",
        "/openings/new/",
        "/network/",
        "/people/",
        f"/people/{other.pk}/",
        f"/people/{user.pk}/",
        "/referrals/",
        "/settings/",
        "/digest/preview/",
    ]
    if seen:
        urls += [f"/openings/{seen.pk}/", f"/openings/{seen.pk}/refer/"]
    if mine:
        urls += [f"/openings/{mine.pk}/", f"/openings/{mine.pk}/edit/"]
    if referral:
        urls.append(f"/referrals/{referral.pk}/")
    if user.groups.filter(name="HR").exists():
        urls += ["/hr/", "/referrals/all/"]
    return urls


def audit(page, axe, url, width):
    page.goto(url)
    return report(page, axe, url, width)


def after_actions(page, axe, email, width):
    """Pages as they look after an action: a success message, and a form refused with errors."""
    page.goto("/settings/")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    report(page, axe, "(settings saved)", width)
    user = User.objects.get(email=email)
    seen = (
        Opening.objects.visible_to(user, include_referred=False).exclude(posted_by=user).filter(status="open").first()
    )
    if seen:
        page.goto(f"/openings/{seen.pk}/refer/")
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
        report(page, axe, "(refer form refused)", width)


def report(page, axe, label, width):
    violations = axe.run(page).response["violations"]
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    doc_width = page.evaluate("document.documentElement.scrollWidth")
    ids = ",".join(sorted({v["id"] for v in bad}))
    print(
        f"{width:>4} {label:<28} serious+critical={sum(len(v['nodes']) for v in bad):<3} rules={ids or '-':<40} width={doc_width}"
    )
    return doc_width


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:8170")
    parser.add_argument("--width", type=int, action="append")
    args = parser.parse_args()
    widths = args.width or [390, 1280]
    axe = Axe()
    people = ["daniel.okafor@example.com", "priya.natarajan@example.com", "hannah.schmidt@example.com"]
    widest = (0, "")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for width in widths:
            anon = browser.new_page(base_url=args.base_url, viewport={"width": width, "height": 844})
            for url in ["/accounts/login/", "/accounts/password/reset/", "/accounts/signup/"]:
                w = audit(anon, axe, url, width)
                widest = max(widest, (w, url)) if width == 390 else widest
            anon.close()
            for email in people:
                page = browser.new_page(base_url=args.base_url, viewport={"width": width, "height": 844})
                page.goto("/accounts/login/")
                page.fill("input[name=login]", email)
                page.fill("input[name=password]", PASSWORD)
                page.locator("form button[type=submit]").last.click()
                page.wait_for_load_state()
                print(f"-- {email}")
                for url in pages_for(email):
                    w = audit(page, axe, url, width)
                    if width == 390:
                        widest = max(widest, (w, url))
                after_actions(page, axe, email, width)
                page.close()
        browser.close()
    print(f"widest page at 390 px: {widest[1]} ({widest[0]} px)")


if __name__ == "__main__":
    main()
