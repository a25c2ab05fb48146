"""Write the report: report.html, figures/*.png and tables/*.csv in one folder."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from exploration import sections as S
from exploration.config import REPORT_FILE, ReportConfig
from exploration.frames import Frames
from exploration.page import render


@dataclass(frozen=True)
class ReportResult:
    path: str  # report.html
    figures: int
    tables: int
    sections: int
    seconds: float


def build(
    frames: Frames,
    output_dir: str,
    config: ReportConfig | None = None,
    links: dict[str, str] | None = None,
    offline: bool = True,
    progress=None,
) -> ReportResult:
    """Compute every section, draw it, and write the page and its files under ``output_dir``."""
    config = config or ReportConfig()
    started = time.perf_counter()
    os.makedirs(os.path.join(output_dir, "figures"), exist_ok=True)
    os.makedirs(os.path.join(output_dir, "tables"), exist_ok=True)
    built: list[S.Section] = []
    steps = [
        lambda: S.summary(frames), lambda: S.activity(frames), lambda: S.users(frames),
        lambda: S.rating_distribution(frames), lambda: S.most_rated(frames, config),
        lambda: S.best_loved(frames, config), lambda: S.release_years(frames), lambda: S.worst(frames, config),
        lambda: S.location(frames, config, offline), lambda: S.genres(frames), lambda: S.people(frames, config),
    ]  # fmt: skip
    for step in steps:
        section_started = time.perf_counter()
        section = step()
        built.append(section)
        if progress:
            progress(f"{section.title} ({time.perf_counter() - section_started:.1f} s)")
    for section in built:
        for figure in section.figures:
            with open(os.path.join(output_dir, "figures", f"{figure.name}.png"), "wb") as f:
                f.write(figure.png)
        for table in section.tables:
            table.frame.to_csv(os.path.join(output_dir, "tables", f"{table.name}.csv"))
    r = frames.ratings
    subtitle = (
        f"{frames.source}: {len(r):,} ratings, {r['user_id'].nunique():,} users, {r['movie_id'].nunique():,} movies"
        + (f"; enrichment: {frames.enrichment}" if frames.enrichment else "; no TMDB enrichment")
    )
    page = render(built, "MovieLens exploration report", subtitle, links or {})
    path = os.path.join(output_dir, REPORT_FILE)
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return ReportResult(
        path=path,
        figures=sum(len(s.figures) for s in built),
        tables=sum(len(s.tables) for s in built),
        sections=len(built),
        seconds=time.perf_counter() - started,
    )
