"""The page in headless Chromium (Debian's, as for the exploration report): the known-user and
new-profile flows, reasons, the errors a person sees, a phone-width layout. Screenshots go to
test-artifacts/ (MOVIEREC_TEST_ARTIFACTS)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from serving.users import from_data
from tests.browser import launch_chromium

ARTIFACTS = Path(os.environ.get("MOVIEREC_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = launch_chromium(p)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    """A fresh page; console errors and failed page scripts are collected on ``page.errors``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.errors = []
    tab.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    yield tab
    context.close()


def rows(page) -> list[str]:
    return page.locator("#recommendations tbody tr").evaluate_all("rs => rs.map(r => r.dataset.movieId)")


def test_a_known_user_sees_ten_recommendations(app, page):
    ARTIFACTS.mkdir(exist_ok=True)
    uid = sorted(app.service._users, key=int)[0]
    page.goto(app.url)
    page.wait_for_selector("#modes input")  # the options arrived
    page.fill("#user-id", uid)
    page.keyboard.press("Enter")
    page.wait_for_selector("#recommendations:not([hidden]) tbody tr")
    assert len(rows(page)) == 10
    truth = from_data(app.data_dir, uid)
    assert not set(rows(page)) & set(truth.history)
    assert page.locator("#recent tbody tr").count() == min(10, len(truth.history))
    assert re.search(r"Answered by retrieval v1 and ranking v1 in [0-9.]+ ms", page.inner_text("#answered"))
    first_reason = page.inner_text("#recommendations tbody tr:first-child td.why")
    titles = [app.service.catalogue.get(m).title for m in truth.history[:50]]
    assert first_reason.startswith("Because you rated ") and any(t in first_reason for t in titles)

    page.check('input[name="mode"][value="multitask"]')  # compare: the multitask model answers
    page.wait_for_function("document.querySelector('#answered').textContent.includes('multitask')")
    assert len(rows(page)) == 10
    page.screenshot(path=str(ARTIFACTS / "app-known-user.png"), full_page=True)
    assert not page.errors, page.errors


def test_a_new_profile_rates_three_movies_and_the_list_follows(app, page):
    movies = sorted(app.service.catalogue.movies.values(), key=lambda m: -m.ratings)[:3]
    page.goto(app.url)
    page.wait_for_selector("#modes input")
    page.click("#tab-new")
    page.select_option("#occupation", "programmer")
    page.fill("#zip", "94110")
    page.wait_for_selector("#recommendations:not([hidden]) tbody tr")
    before = rows(page)
    rated: list[str] = []
    for movie in movies:
        page.fill("#search", movie.title.split(" (")[0])
        page.wait_for_selector(f'#search-results li[data-movie-id="{movie.movie_id}"]')
        page.click(f'#search-results li[data-movie-id="{movie.movie_id}"]')
        rated.append(movie.movie_id)
        page.wait_for_function(
            "n => document.querySelector('#answered').textContent.includes(`from ${n} rated movies`)", arg=len(rated)
        )
        shown = rows(page)
        assert len(shown) == 10 and not set(shown) & set(rated)  # never a movie just rated
    assert rows(page) != before
    assert page.locator("#rated tbody tr").count() == 3
    reason = page.inner_text("#recommendations tbody tr:first-child td.why")
    assert any(m.title in reason for m in movies), reason

    page.check("#include-rated")  # "include movies I rated": they may come back
    page.wait_for_timeout(300)
    page.wait_for_selector("#recommendations tbody tr")
    page.screenshot(path=str(ARTIFACTS / "app-new-user.png"), full_page=True)
    assert not page.errors, page.errors


def test_search_by_keyboard_and_no_match(app, page):
    movie = sorted(app.service.catalogue.movies.values(), key=lambda m: -m.ratings)[0]
    page.goto(app.url)
    page.wait_for_selector("#modes input")
    page.click("#tab-new")
    page.focus("#search")
    page.keyboard.type(movie.title.split(" (")[0].upper())  # case does not matter
    page.wait_for_selector("#search-results li")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector("#rated tbody tr")
    assert movie.title in page.inner_text("#rated")
    page.fill("#search", "zzzzqqq")
    page.wait_for_function("document.querySelector('#search-message').textContent.includes('No movie matches')")
    assert not page.errors, page.errors


def test_an_unknown_user_and_a_server_that_is_down(app, app_without_server, page):
    page.goto(app.url)
    page.wait_for_selector("#modes input")
    page.fill("#user-id", "999999")
    page.click("#lookup")
    page.wait_for_selector("#error:not([hidden])")
    assert "user 999999 is not in" in page.inner_text("#error-text")

    page.goto(app_without_server.url)
    page.wait_for_selector("#error:not([hidden])")
    assert "is not answering" in page.inner_text("#error-text") and page.is_visible("#retry")
    page.click("#retry")  # retrying against a server still down: the message comes back
    page.wait_for_selector("#error:not([hidden])")
    page.screenshot(path=str(ARTIFACTS / "app-server-down.png"))


def test_phone_width_has_no_sideways_scroll(app, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(app.url)
    page.wait_for_selector("#modes input")
    uid = sorted(app.service._users, key=int)[0]
    page.fill("#user-id", uid)
    page.keyboard.press("Enter")
    page.wait_for_selector("#recommendations:not([hidden]) tbody tr")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    page.screenshot(path=str(ARTIFACTS / "app-phone.png"), full_page=True)
    context.close()
