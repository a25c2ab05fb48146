"""The whole report on synthetic data: every section, its files, and the page in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from exploration.build import build
from exploration.config import ReportConfig
from tests.browser import launch_chromium

SECTIONS = ["summary", "activity", "users", "distribution", "most_rated", "best_loved", "release", "worst",
            "location", "genres", "people"]  # fmt: skip

ARTIFACTS = Path(os.environ.get("MOVIEREC_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))


@pytest.fixture(scope="module")
def report(frames, tmp_path_factory):
    output = tmp_path_factory.mktemp("report")
    config = ReportConfig(top_n=5, min_ratings_best=20, min_ratings_worst=20)
    result = build(frames, str(output), config, links={"statistics view": "statistics.html"})
    return result, output, Path(result.path).read_text()


def test_every_section_figure_and_table_is_written(report):
    result, output, page = report
    assert re.findall(r'data-section="(\w+)"', page) == SECTIONS
    figures = re.findall(r'data-figure="([\w-]+)"', page)
    assert len(figures) == result.figures + 1  # + the map
    for name in figures:
        if not name.endswith("-map"):
            assert (output / "figures" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    tables = re.findall(r'data-table="(\w+)"', page)
    assert len(tables) == result.tables and all((output / "tables" / f"{t}.csv").exists() for t in tables)
    assert 'href="statistics.html"' in page
    assert "at least 20 ratings" in page  # the minimum count is stated


def test_the_page_is_self_contained(report):
    _, _, page = report
    assert not re.search(r'<script[^>]+src=|<link[^>]+href="http', page)
    external = set(re.findall(r"https?://[a-z0-9.-]+", page))
    assert "https://cdn.jsdelivr.net" not in external  # Leaflet is inlined, not loaded
    assert "https://tile.openstreetmap.org" in external  # only the background tiles need the internet


def test_the_report_opens_in_headless_chromium_without_errors(report):
    from playwright.sync_api import sync_playwright

    _, output, _ = report
    errors: list[str] = []
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((output / "report.html").as_uri(), wait_until="load")
        images = page.evaluate("Array.from(document.images).map(i => [i.alt, i.naturalWidth])")
        assert images and all(width > 0 for _, width in images), images
        (frame,) = [f for f in page.frames if f != page.main_frame]
        frame.wait_for_selector(".leaflet-container")
        assert frame.evaluate("typeof L") == "object"
        assert frame.evaluate("document.querySelectorAll('path.leaflet-interactive').length") > 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        page.query_selector("#location").screenshot(path=str(ARTIFACTS / "report-map.png"))
        browser.close()
    assert not errors, errors
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000


def test_movierec_report_from_a_data_folder(tiny_dataset, tmp_path, capsys):
    from cli.main import main

    code = main(
        ["report", "--data-dir", tiny_dataset, "--output", str(tmp_path), "--top-n", "5", "--min-ratings", "20"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "wrote" in out and "11. Busiest directors" in out
    assert (tmp_path / "report.html").exists() and (tmp_path / "tables" / "most_rated.csv").exists()
    assert main(["report", "--data-dir", str(tmp_path / "nothing"), "--output", str(tmp_path)]) == 2
    broken = tmp_path / "broken"
    shutil.copytree(tiny_dataset, broken)
    with open(broken / "ratings.dat", "a") as f:
        f.write("1::2::five::978300760\n")
    assert main(["report", "--data-dir", str(broken), "--output", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err
    assert "ratings.dat:" in err and "'five'" in err  # the file, the line and the bad value
