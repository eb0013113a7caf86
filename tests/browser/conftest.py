"""The browser journeys' fixtures (scripts/browser runs them).

Each test starts its own local runner (`ticketing-local`, in memory, on a free port of
127.0.0.1) with the configuration it needs, and drives Debian's chromium through
Playwright, one browser context per person. Every test saves a screenshot of its last page
under OUTPUT (test-output/browser/ unless BROWSER_OUTPUT says otherwise).
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import api_client  # noqa: E402  (tests/api_client.py, shared with the fuzzer)
from api_client import PASSWORD  # noqa: E402

RUNNER = os.environ["RUNNER_BIN"]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
OUTPUT = Path(os.environ.get("BROWSER_OUTPUT", "test-output/browser"))

expect.set_options(timeout=10_000)
AXE = Axe()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Runner:
    """The local runner on a free port: the whole API and the web client."""

    def __init__(self, env, log):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        environment = {key: value for key, value in os.environ.items() if not key.startswith("STRIPE_")}
        # The journeys set their limits themselves: no re-order cool-down unless a test asks,
        # and sign-ups without a limit (every person signs up from 127.0.0.1).
        defaults = {
            "PORT": str(self.port),
            "LOCAL_DATA_DIR": ":memory:",
            "RUST_LOG": "warn",
            "REORDER_COOLDOWN_SECONDS": "0",
            "SIGN_UPS_PER_ADDRESS": "1000000",
            "MAX_OPEN_LISTINGS": "1000000",
        }
        environment.update(defaults, **env)
        self.process = subprocess.Popen([RUNNER], env=environment, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the local runner exited with {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the local runner did not start")

    def call(self, method, path, body=None, session=None):
        """The API without a browser (to set up what a journey starts from)."""
        return api_client.call(self.base, method, path, body, session)

    def attach(self, ticket, data, session, name="ticket.pdf", content_type="application/pdf"):
        """Uploads `data` as `ticket`'s file, as its seller's browser does."""
        declared = {"fileName": name, "contentType": content_type, "size": len(data)}
        upload, _ = self.call("POST", f"/api/tickets/{ticket}/file", declared, session)
        request = urllib.request.Request(upload["url"], data=data, method="PUT")
        for header, value in upload["headers"].items():
            if header != "content-length":
                request.add_header(header, value)
        with urllib.request.urlopen(request) as response:
            assert response.status == 200

    def signed_up(self, email):
        """A new account's session token."""
        return api_client.signed_up(self.base, email)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def runner(request):
    """runner(**env): a local runner configured by env, stopped after the test."""
    started = []
    OUTPUT.mkdir(parents=True, exist_ok=True)
    log = open(OUTPUT / f"{request.node.name}.runner.log", "w")

    def start(**env):
        started.append(Runner({key: str(value) for key, value in env.items()}, log))
        return started[-1]

    yield start
    for running in started:
        running.stop()
    log.close()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def person(browser, request):
    """person(base, phone=False): a new browser context (a person of their own) on base;
    the last page opened is saved as the test's screenshot."""
    contexts = []
    errors = []

    def open_page(base, phone=False):
        options = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True} if phone else {}
        context = browser.new_context(base_url=base, **options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(error))
        return page

    yield open_page
    if contexts and contexts[-1].pages:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        contexts[-1].pages[-1].screenshot(path=OUTPUT / f"{request.node.name}.png", full_page=True)
    for context in contexts:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


# A small, well-formed one-page PDF: what a venue's ticket file is.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/MediaBox[0 0 200 100]/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def account_form(page, path, button, email):
    """Fills the account form at `path` with `email` and PASSWORD, sends it with `button`,
    and sees the page signed in as `email`."""
    page.goto(path)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator("#account")).to_contain_text(email)
    return page


def sign_up(page, email):
    """Signs up through the client, as a person would."""
    return account_form(page, "/#/signup", "Create account", email)


def signed_in(page, email):
    """`page`, signed in on the sign-in page as `email` (an account made with PASSWORD)."""
    return account_form(page, "/#/signin", "Sign in", email)


def violations(page, exclude=None):
    """axe-core's serious and critical violations on the page (minus the exclude selector)."""
    context = {"exclude": [[exclude]]} if exclude else None
    found = AXE.run(page, context=context).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes']]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]
