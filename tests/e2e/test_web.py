"""The web end to end in headless Chromium (Debian's, driven by Playwright): ``loci serve`` answering with a language
model (the fake OpenAI-compatible server on loopback, writing slowly enough to be watched) over the bundled corpus.

The widget, embedded with one script tag in a page of another (allowed) origin, streams a cited answer; its
partner link is counted; the dashboard shows that question in today's figures; a partner sees only its own gaps
and exports (direct URLs too); a wrong password is refused, then rate-limited; the pages work 360 px wide.
Screenshots of the chat and of each dashboard view are written to docs/web/."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from genius_loci.bots.bootstrap import Runtime
from tests.fake_openai import FakeChatServer
from tests.integration.serve import LOCI, own_data_dir, serving

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "web"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
ADMIN, ADMIN_PASSWORD = "agency", "a long agency passphrase"
PARTNER, PARTNER_PASSWORD = "cassis-staff", "a long partner passphrase"
VIEWS = ("overview", "map", "topics", "quality", "gaps", "redirects", "sources")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium to drive: apt-get install chromium "
                                                         "(.ci/run installs it)")


class AgencySite:
    """The agency's own site, on another origin, embedding the widget with one tag."""

    def __init__(self) -> None:
        self.assistant = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                page = (f'<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width">'
                        f'<title>Agency</title><style>h1{{color:red}} button{{background:lime}}</style></head>'
                        f'<body><h1>Visit the territory</h1>'
                        f'<script src="{site.assistant}/widget.js" data-lang="en" defer></script></body></html>')
                body = page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def site() -> Iterator[AgencySite]:
    s = AgencySite()
    yield s
    s.close()


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeChatServer]:
    fake = FakeChatServer()
    fake.chunk_delay = 0.15  # a model writing at its pace: the answer is seen growing
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def web_dir(runtime: Runtime, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return own_data_dir(runtime, tmp_path_factory, "web")


@pytest.fixture(scope="module")
def base(web_dir: Path, llm: FakeChatServer, site: AgencySite) -> Iterator[str]:
    for name, password, role in ((ADMIN, ADMIN_PASSWORD, ["--role", "admin"]),
                                 (PARTNER, PARTNER_PASSWORD, ["--role", "partner", "--partner", "cassis-tourism"])):
        added = subprocess.run([LOCI, "users", "add", name, *role, "--password-stdin"], input=password + "\n",
                               env={**os.environ, "LOCI_DATA_DIR": str(web_dir)}, capture_output=True,
                               text=True, check=False)
        assert added.returncode == 0, added.stderr
    env = {"LOCI_ANSWERER": "llm", "LOCI_LLM_BASE_URL": llm.base_url, "LOCI_LLM_MODEL": "fake-model",
           "LOCI_LLM_MAX_RETRIES": "0", "LOCI_STT": "off", "LOCI_WEB_ALLOWED_ORIGINS": site.origin,
           "LOCI_WEB_SESSION_PER_MINUTE": "8"}
    with serving(env, web_dir) as (url, _):
        site.assistant = url
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def shoot(page: Any, name: str, **options: Any) -> None:
    """Writes docs/web/NAME.png. Chromium without a GPU now and then fails a capture ("Unable to capture
    screenshot", a protocol error, not the page's): once more after a pause, then the error stands."""
    from playwright.sync_api import Error

    try:
        page.screenshot(path=str(SHOTS / f"{name}.png"), **options)
    except Error as exc:
        if "Unable to capture screenshot" not in str(exc):
            raise
        time.sleep(1.0)
        page.screenshot(path=str(SHOTS / f"{name}.png"), **options)


def login(browser: Any, base: str, name: str, password: str, width: int = 1280) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{base}/dashboard/overview")
    assert page.url.endswith("/dashboard/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/overview")
    return page


def test_the_widget_on_the_agency_site_streams_a_cited_answer_and_counts_the_partner_link(
        browser: Any, base: str, site: AgencySite, llm: FakeChatServer) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(site.origin)
    page.get_by_role("button", name="💬 Assistant").click()
    page.get_by_role("button", name="Visitor").click()
    box = page.get_by_role("textbox")
    box.fill("Quand a ouvert le Mucem ?")
    box.press("Enter")
    answer = page.locator(".bot .answer").last
    seen: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not page.locator(".bot[data-status]").count():
        seen.append(answer.inner_text())
        time.sleep(0.05)
    final = page.locator(".bot[data-status]").last
    assert final.get_attribute("data-status") == "answered"
    partial = [s for s in seen if s.strip()]
    assert partial and len(partial[0]) < len(answer.inner_text())  # it grew as the model wrote
    assert "2013" in answer.inner_text()
    cite = final.locator("a.cite").first
    assert cite.get_attribute("href", timeout=5000).startswith("http")
    assert final.locator(".sources li a").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    shoot(page, "chat")

    redirect = final.locator("a.redirect")
    href = redirect.get_attribute("href")
    assert href.startswith(f"{base}/go/web:")
    with page.expect_popup() as popup:
        redirect.click()
    popup.value.close()
    admin = login(browser, base, ADMIN, ADMIN_PASSWORD)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        csv = admin.request.get(f"{base}/dashboard/redirects.csv").text()
        if any(line.split(",")[2:3] == ["1"] for line in csv.splitlines()[1:]):
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the followed link was not counted: {csv}")
    admin.close()


def test_the_chat_page_uses_the_location_only_when_asked_takes_votes_and_forgets(browser: Any, base: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, permissions=["geolocation"],
                                  geolocation={"latitude": 43.2598, "longitude": 5.3752})  # the Prado beaches
    page = context.new_page()
    page.goto(f"{base}/?lang=en")
    page.get_by_role("combobox", name="Language").select_option("en")
    locate = page.get_by_role("button", name="📍 Use my location")
    locate.click()
    page.get_by_role("button", name="📍 Location shared").wait_for()
    box = page.get_by_role("textbox")
    box.focus()
    page.keyboard.type("Where can I swim near me?")
    page.keyboard.press("Enter")
    final = page.locator(".bot[data-status]").last
    final.wait_for(timeout=30_000)
    assert final.get_attribute("data-status") == "answered"
    assert " km" in final.locator(".answer").inner_text()  # how far the cited place is from the person
    page.get_by_role("button", name="Helpful answer").last.click()
    page.locator(".note", has_text="Thank you!").wait_for()
    page.get_by_role("button", name="Forget me").click()
    page.locator(".note", has_text="I have forgotten this conversation").wait_for()
    assert page.locator(".bot").count() == 0
    context.close()


def test_cors_lets_only_the_allowed_site_call_the_api(base: str, site: AgencySite) -> None:
    def preflight(origin: str) -> httpx.Response:
        return httpx.options(f"{base}/api/ask/stream", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})

    assert preflight(site.origin).headers.get("access-control-allow-origin") == site.origin
    refused = preflight("https://elsewhere.example")
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers


def test_the_dashboard_counts_today_s_question_in_every_view(browser: Any, base: str) -> None:
    page = login(browser, base, ADMIN, ADMIN_PASSWORD)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    row = page.locator("table tbody tr", has_text=today)
    assert int(row.locator("td").nth(1).inner_text()) >= 1
    for view in VIEWS:
        page.goto(f"{base}/dashboard/{view}")
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").count() == 1
        if page.locator("canvas").count():  # Chart.js drew on them
            assert page.evaluate("Array.from(document.querySelectorAll('canvas')).every(c => c.width > 0)")
        shoot(page, view, full_page=True)
        assert page.request.get(f"{base}/dashboard/{view}.csv").headers["content-type"].startswith("text/csv")
    page.goto(f"{base}/dashboard/map")
    assert page.locator("svg circle[data-commune]").count() == 92
    assert page.locator("svg circle[data-commune='Marseille']").count() == 1
    page.close()


def test_a_partner_sees_only_its_own_gaps_and_exports(browser: Any, base: str) -> None:
    def gap_of(question: str) -> str:
        asked = httpx.post(f"{base}/api/ask", json={"session_id": f"gap-{question[:8]}", "text": question},
                           timeout=60).json()
        assert asked["status"] == "abstained", asked
        admin_csv = httpx.get(f"{base}/dashboard/gaps.csv", cookies=admin_cookies).text
        return next(line.split(",")[0] for line in admin_csv.splitlines() if question[:20] in line)

    admin = login(browser, base, ADMIN, ADMIN_PASSWORD)
    admin_cookies = {c["name"]: c["value"] for c in admin.context.cookies()}
    theirs = gap_of("Y a-t-il une laverie automatique près du Vieux-Port ?")  # another partner's
    mine = gap_of("Peut-on louer un kayak à Cassis ?")  # the Cassis tourist office's
    partner = login(browser, base, PARTNER, PARTNER_PASSWORD, width=360)
    partner.goto(f"{base}/dashboard/gaps")
    listed = partner.locator("table").first.inner_text()
    assert mine in listed and theirs not in listed
    assert partner.evaluate("document.documentElement.scrollWidth") <= 380
    assert partner.request.get(f"{base}/dashboard/gaps/{theirs}").status == 404  # a direct URL too
    export = partner.request.get(f"{base}/dashboard/gaps.csv").text()
    assert mine in export and theirs not in export
    partner.goto(f"{base}/dashboard/gaps/{mine}")
    partner.fill("textarea[name=answer]", "La location de kayaks se fait sur la plage de Cassis.")
    partner.fill("input[name=url]", "https://www.ot-cassis.com/kayak-e2e")
    partner.click("form.teach button[type=submit]")
    assert "waits for review" in partner.locator(".notice").inner_text()
    csrf = partner.locator("form.teach input[name=csrf]").get_attribute("value")
    forged = partner.request.post(f"{base}/dashboard/gaps/{theirs}/teach",
                                  form={"csrf": csrf, "answer": "x", "url": "https://x.example"})
    assert forged.status == 404
    no_token = partner.request.post(f"{base}/dashboard/gaps/{mine}/teach",
                                    form={"answer": "x", "url": "https://x.example"})
    assert no_token.status == 403
    admin.goto(f"{base}/dashboard/gaps/{mine}")
    admin.get_by_role("button", name="Approve").click()
    admin.wait_for_url(f"**/dashboard/gaps/{mine}")
    assert "approved" in admin.locator("table").last.inner_text()
    partner.close()
    admin.close()


def test_the_chat_asks_people_to_slow_down(base: str) -> None:
    replies = [httpx.post(f"{base}/api/ask", json={"session_id": "hurried", "text": "Bonjour", "language": "fr"},
                          timeout=60) for _ in range(9)]
    assert [r.status_code for r in replies].count(429) == 1
    assert "patienter" in replies[-1].json()["error"]


def test_a_wrong_password_is_refused_then_rate_limited(browser: Any, base: str) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 740})
    statuses = []
    for _ in range(6):
        page.goto(f"{base}/dashboard/login")
        page.fill("input[name=name]", ADMIN)
        page.fill("input[name=password]", "not the password")
        with page.expect_response(f"{base}/dashboard/login") as response:
            page.click("button[type=submit]")
        statuses.append(response.value.status)
    assert statuses == [401] * 5 + [429]
    assert "Too many failed attempts" in page.locator(".error").inner_text()
    page.fill("input[name=password]", ADMIN_PASSWORD)  # even the right one, for now
    with page.expect_response(f"{base}/dashboard/login") as response:
        page.click("button[type=submit]")
    assert response.value.status == 429
    shoot(page, "login")
    page.close()
