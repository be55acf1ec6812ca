"""Real-browser fixtures: the store process on a free loopback port, Debian's chromium
driven by Playwright, and small helpers that act the way a cashier and a scanner do.

The browser tests are marked ``browser`` and skip with a reason when chromium or the
playwright package is missing.  Nothing is downloaded: chromium is the system one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import BARCODES, PINS, make_store  # noqa: F401  (re-exported for tests)

CHROMIUM = os.environ.get("STORE_AGENT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
DOC_SHOTS = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1024, "height": 768}

XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_BARCODE = "4600000000015"
EXTRA_PRODUCTS = [
    # sku, name, barcode, price (kopecks), unit, vat
    ("XSS", XSS_NAME, XSS_BARCODE, 1000, "pcs", "20"),
    ("TEA", "Чай чёрный «Цейлон» 100 пак.", "4607001234609", 32900, "pcs", "20"),
    ("CHOC", "Шоколад горький 70% 90 г", "4607001234616", 11999, "pcs", "20"),
]


def _chromium_missing() -> str | None:
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _chromium_missing()
    for item in items:
        if "tests/e2e/test_browser_" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser():
    reason = _chromium_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def add_products(store, products=EXTRA_PRODUCTS):
    from agent import catalog
    with store.db.write():
        for sku, name, barcode, price, unit, vat in products:
            catalog.upsert(sku, name, price, unit, vat, [barcode])


@pytest.fixture
def make_agent(tmp_path):
    """make_agent(**config) -> a running store process (waitress) on a free port."""
    from pos_ui.process import StoreProcess
    started = []

    def start(name="store", **config):
        store = make_store(tmp_path / name, **config)
        add_products(store)
        proc = StoreProcess(store, "127.0.0.1", 0).start_background()
        proc.base_url = f"http://127.0.0.1:{proc.port}"
        started.append((proc, store))
        return proc

    yield start
    for proc, store in started:
        proc.stop()
        store.close()


@pytest.fixture
def agent(make_agent):
    return make_agent()


class Screen:
    """One browser tab on the cashier screen, with what a cashier (and a scanner) does."""

    def __init__(self, page, base_url):
        self.page = page
        self.base_url = base_url
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.console_errors: list[str] = []
        page.on("dialog", self._on_dialog)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))

    def _on_dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, path="/"):
        self.page.goto(self.base_url + path)
        self.page.wait_for_selector("#view-login:not([hidden]), #view-pos:not([hidden])")
        return self

    def login(self, login="anna", pin=None, expect_ok=True):
        page = self.page
        page.fill("#login-name", login)
        page.click("#login-pin")
        # the PIN goes in on the on-screen keypad, as on a touch register
        for digit in pin or PINS[login]:
            page.click(f"#login-keypad .kp-key:text-is('{digit}')")
        page.keyboard.press("Enter")
        if expect_ok:
            page.wait_for_selector("body[data-view='sale'], body[data-view='shift']")
        return self

    def open_shift(self, opening="1000"):
        page = self.page
        if page.locator("body[data-view='shift']").count() == 0:
            page.keyboard.press("F7")
        page.wait_for_selector("#shift-opening")
        page.fill("#shift-opening", opening)
        page.keyboard.press("Enter")
        page.wait_for_selector("body[data-view='sale']")
        page.wait_for_selector("#tb-meta[data-shift='open']")
        return self

    def scan(self, code):
        """A scanner: a burst of keystrokes a few ms apart, then Enter, into whatever has focus."""
        self.page.keyboard.type(code, delay=5)
        self.page.keyboard.press("Enter")

    def wait_lines(self, n):
        from playwright.sync_api import expect
        expect(self.page.locator("#cart-body tr")).to_have_count(n)

    def wait_quoted(self):
        self.page.wait_for_selector("#total-box[data-mode='ok']")

    def shot(self, name, doc=False):
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        if doc and os.environ.get("STORE_AGENT_UPDATE_DOC_SHOTS"):  # refresh the README's pictures
            DOC_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOC_SHOTS / f"{name}.png")
        return path


@pytest.fixture
def screen_for(browser):
    """screen_for(agent, lang=None) -> a Screen in a fresh browser context (own sessionStorage)."""
    contexts = []

    def make(proc, **kw):
        ctx = browser.new_context(viewport=VIEWPORT, locale="ru-RU", timezone_id="Europe/Moscow",
                                  service_workers="block", **kw)
        ctx.set_default_timeout(8000)
        contexts.append(ctx)
        return Screen(ctx.new_page(), proc.base_url)

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def screen(agent, screen_for):
    s = screen_for(agent).open()
    yield s
    assert not s.errors, f"JavaScript errors on the page: {s.errors}"


def norm(text: str) -> str:
    """Screen text with no-break spaces as plain spaces (ru money: '1 234,56 ₽')."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


class Http:
    """A plain HTTP client for the agent's API (to set up or check what the screen did)."""

    def __init__(self, base_url, login=None):
        self.base_url = base_url
        self.token = None
        if login:
            self.token = self.post("/api/v1/session", {"login": login, "pin": PINS[login]})[1]["token"]

    def call(self, method, path, body=None):
        import json
        import urllib.error
        import urllib.request
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null"), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null"), dict(e.headers)

    def get(self, path):
        status, body, _ = self.call("GET", path)
        return status, body

    def post(self, path, body=None):
        status, body, _ = self.call("POST", path, body if body is not None else {})
        return status, body
