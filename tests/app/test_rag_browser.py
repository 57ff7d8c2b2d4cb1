"""The web chat page in headless Debian Chromium (Playwright): ask, watch the answer stream in,
see the evidence sentence under each claim, at least one source and its chunk text, and the clause
view with the evidence highlighted; a screenshot is kept in tests/artifacts/."""

from __future__ import annotations

import re
import shutil
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
DONE = re.compile(r"\bmsg assistant done\b")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def test_web_chat_streams_answer_with_sources(rag_server, artifacts_dir):
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: install the Debian package `chromium`")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(rag_server.url + "/")
            expect(page.locator("#index")).to_contain_text("chunks", timeout=15_000)
            expect(page.locator("#model")).to_have_text("smollm2-135m-instruct")
            page.fill("#question", "What is the cell selection criterion S for NR?")
            page.click("#send")
            answer = page.locator(".msg.assistant").last
            expect(answer).to_contain_text("Sources:", timeout=120_000)
            expect(answer).to_have_class(DONE, timeout=30_000)
            assert int(answer.get_attribute("data-updates")) > 3  # it arrived in pieces, not at once
            claims, evidence = answer.locator(".claim"), answer.locator(".claim .evidence")
            assert claims.count() >= 1 and evidence.count() == claims.count()  # evidence under every claim
            expect(evidence.first).to_contain_text("TS 38.304")
            evidence_href = evidence.first.locator("a").get_attribute("href")
            quoted = parse_qs(urlparse(evidence_href).query)["hl"][0]  # the evidence sentence
            # shown under the claim, or as the claim itself when the answer quotes the clauses
            assert len(quoted) > 20 and quoted in " ".join(answer.inner_text().split())
            sources = page.locator("#sources li.source")
            assert sources.count() >= 1
            expect(sources.first).to_contain_text("TS 38.304")
            sources.first.locator("a").click()
            expect(sources.first.locator("pre")).to_be_visible(timeout=15_000)
            assert len(sources.first.locator("pre").inner_text()) > 50
            page.screenshot(path=str(artifacts_dir / "web_chat.png"), full_page=True)
            chunk_page = browser.new_page()
            chunk_page.goto(rag_server.url + sources.first.locator("a").get_attribute("href"))
            expect(chunk_page.locator("#citation")).to_contain_text("TS 38.304", timeout=15_000)
            evidence_page = browser.new_page()
            evidence_page.goto(rag_server.url + evidence_href)
            expect(evidence_page.locator("#text mark")).to_have_count(1, timeout=15_000)
            assert " ".join(evidence_page.locator("#text mark").inner_text().split()) == quoted
            evidence_page.screenshot(path=str(artifacts_dir / "clause_highlight.png"), full_page=True)

            # a follow-up without its subject: the thread keeps it, searched as a standalone question
            page.fill("#question", "How is it used in cell reselection?")
            page.click("#send")
            expect(page.locator(".msg.assistant")).to_have_count(2)
            second = page.locator(".msg.assistant").nth(1)
            expect(second).to_have_class(DONE, timeout=120_000)
            expect(second.locator(".query")).to_contain_text("searched for:")
            assert "cell selection" in second.locator(".query").inner_text().lower()
            expect(page.locator(".msg.user")).to_have_count(2)
            page.screenshot(path=str(artifacts_dir / "web_chat_thread.png"), full_page=True)
            page.reload()  # the thread stays in the page, each answer with its own sources
            expect(page.locator(".msg.assistant")).to_have_count(2, timeout=15_000)
            page.locator(".msg.assistant").first.click()
            expect(page.locator("#sources li.source").first).to_contain_text("TS 38.304")
            page.click("#newchat")
            expect(page.locator(".msg")).to_have_count(0)
        finally:
            browser.close()
