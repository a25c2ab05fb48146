"""Movie metadata enrichment: director, star, cast and crew sizes, IMDb id, release date.

Two formats are read, each keyed by the MovieLens movie id:

* TMDB ("The Movies Dataset" on Kaggle): ``links.csv`` (movieId,imdbId,tmdbId),
  ``movies_metadata.csv`` (id, imdb_id, release_date, ...) and ``credits.csv`` (cast, crew, id,
  with cast and crew as Python-literal lists of dicts).
* extra-infos (a public ml-1m derivative): ``movies_extrainfos.dat``
  (``id::title::year::rate::released::genre::director::writer::actors::plot::poster``), with
  ``imdb_links.dat`` (``movieId::imdbId``) for IMDb ids. It has no cast or crew sizes.

A movie without metadata simply lacks these features; nothing is invented.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

from movielens import features as F
from movielens import wrangling as W
from movielens.errors import DataError, Rejects
from movielens.text_files import decode, read_lines

TMDB_FILES = ("links.csv", "movies_metadata.csv", "credits.csv")
EXTRAINFO_FILE = "movies_extrainfos.dat"
IMDB_LINKS_FILE = "imdb_links.dat"

csv.field_size_limit(sys.maxsize)


def find_enrichment(*directories: str | None) -> tuple[str, str] | None:
    """(kind, directory) of the first enrichment found in the directories or their tmdb/ folder."""
    for directory in directories:
        if not directory:
            continue
        for folder in (Path(directory), Path(directory) / "tmdb", Path(directory) / "enrich"):
            if all((folder / name).is_file() for name in TMDB_FILES):
                return "tmdb", str(folder)
            if (folder / EXTRAINFO_FILE).is_file():
                return "extrainfos", str(folder)
    return None


def read_enrichment(kind: str, directory: str, movie_ids: set[str], rejects: Rejects) -> dict[str, dict[str, Any]]:
    """{movie_id: enrichment features} for the MovieLens movies that have metadata."""
    if kind == "tmdb":
        return read_tmdb(directory, movie_ids, rejects)
    if kind == "extrainfos":
        return read_extrainfos(directory, movie_ids, rejects)
    raise ValueError(f"unknown enrichment kind {kind!r}")


def enrich_movies(
    movies: dict[str, dict[str, Any]], data_dirs: tuple[str | None, ...], explicit: str | None, rejects: Rejects
) -> str:
    """Merge the enrichment of a MovieLens copy into ``movies`` (in place); returns its kind ("": none).

    An explicit folder is the only place looked at and must hold enrichment files; else the data
    folders are searched. Enrichment is best effort: a bad entry is skipped and added to
    ``rejects``, and its movie lacks the feature.
    """
    found = find_enrichment(*((explicit,) if explicit else data_dirs))
    if not found:
        if explicit:
            raise DataError(
                explicit, None, f"no enrichment found (expected {', '.join(TMDB_FILES)} or {EXTRAINFO_FILE})"
            )
        return ""
    kind, folder = found
    lenient = Rejects("skip")
    for mid, values in read_enrichment(kind, folder, set(movies), lenient).items():
        movies[mid].update(values)
    rejects.rows.extend(lenient.rows)
    return kind


def _csv_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    if not path.is_file():
        raise DataError(str(path), None, "file not found")
    text = decode(path, path.read_bytes())
    reader = csv.DictReader(text.splitlines(keepends=True))
    rows = [(reader.line_num, row) for row in reader]
    return list(reader.fieldnames or []), rows


def _require(path: Path, header: list[str], columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in header]
    if missing:
        raise DataError(str(path), 1, f"missing column(s) {', '.join(missing)} (header: {', '.join(header)})")


def _iso_date(text: str) -> str | None:
    text = (text or "").strip()
    for fmt in ("%Y-%m-%d", "%d %b %Y", "%d-%b-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def read_tmdb(directory: str, movie_ids: set[str], rejects: Rejects) -> dict[str, dict[str, Any]]:
    """Join links.csv -> movies_metadata.csv and credits.csv on the TMDB id."""
    links_path, meta_path, credits_path = (Path(directory) / name for name in TMDB_FILES)
    result, tmdb_of = _tmdb_links(links_path, movie_ids, rejects)
    wanted = set(tmdb_of.values())
    metadata = {
        tmdb: row for tmdb, (_, row) in _first_rows_by_id(meta_path, ("id", "imdb_id", "release_date"), wanted).items()
    }
    credits = _first_rows_by_id(credits_path, ("cast", "crew", "id"), wanted)
    for mid, tmdb in tmdb_of.items():
        entry = result[mid]
        if tmdb in metadata:
            _merge_metadata(entry, metadata[tmdb])
        if tmdb in credits:
            line, row = credits[tmdb]
            try:
                entry.update(_credits(row))
            except (ValueError, SyntaxError) as exc:
                rejects.reject(str(credits_path), line, f"cast/crew is not a list literal ({exc})")
    return {mid: entry for mid, entry in result.items() if entry}


def _tmdb_links(
    links_path: Path, movie_ids: set[str], rejects: Rejects
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """links.csv: {movie id: {imdb_id}} for our movies, and {movie id: TMDB id}."""
    header, rows = _csv_rows(links_path)
    _require(links_path, header, ("movieId", "imdbId", "tmdbId"))
    tmdb_of: dict[str, str] = {}
    result: dict[str, dict[str, Any]] = {}
    for line, row in rows:
        mid = (row["movieId"] or "").strip()
        if mid not in movie_ids:
            continue
        entry: dict[str, Any] = {}
        if (row["imdbId"] or "").strip():
            try:
                entry[F.IMDB_ID] = W.imdb_id(row["imdbId"])
            except ValueError as exc:
                rejects.reject(str(links_path), line, str(exc))
        tmdb = (row["tmdbId"] or "").strip()
        if tmdb:
            tmdb_of[mid] = tmdb.split(".")[0]  # some copies write 862.0
        result[mid] = entry
    return result, tmdb_of


def _first_rows_by_id(path: Path, columns: tuple[str, ...], wanted: set[str]) -> dict[str, tuple[int, dict[str, str]]]:
    """{TMDB id: (line, row)} of the first row of each wanted id in a TMDB CSV file."""
    header, rows = _csv_rows(path)
    _require(path, header, columns)
    found: dict[str, tuple[int, dict[str, str]]] = {}
    for line, row in rows:
        tmdb = (row["id"] or "").strip()
        if tmdb in wanted and tmdb not in found:
            found[tmdb] = (line, row)
    return found


def _merge_metadata(entry: dict[str, Any], meta: dict[str, str]) -> None:
    """The release date, and the IMDb id when links.csv had none."""
    release = _iso_date(meta.get("release_date", ""))
    if release:
        entry[F.RELEASE_DATE] = release
    if F.IMDB_ID not in entry and (meta.get("imdb_id") or "").strip():
        try:
            entry[F.IMDB_ID] = W.imdb_id(meta["imdb_id"])
        except ValueError:
            pass


def _credits(row: dict[str, str]) -> dict[str, Any]:
    """Cast and crew sizes, the director and the lead actor ("star") of a credits.csv row."""
    cast = ast.literal_eval(row["cast"] or "[]")
    crew = ast.literal_eval(row["crew"] or "[]")
    entry: dict[str, Any] = {F.CAST_SIZE: len(cast), F.CREW_SIZE: len(crew)}
    directors = [p.get("name", "") for p in crew if p.get("job") == "Director"]
    if directors and directors[0]:
        entry[F.DIRECTOR] = W.ascii_clean(directors[0])
    billed = sorted(cast, key=lambda p: p.get("order", 1 << 30))
    if billed and billed[0].get("name"):
        entry[F.STAR] = W.ascii_clean(billed[0]["name"])
    return entry


def _first_name(value: str) -> str | None:
    value = value.strip()
    if not value or value.upper() == "N/A":
        return None
    cleaned = W.ascii_clean(value.split(",")[0])
    return cleaned or None


def read_extrainfos(directory: str, movie_ids: set[str], rejects: Rejects) -> dict[str, dict[str, Any]]:
    """movies_extrainfos.dat (+ imdb_links.dat) -> director, star, release date, IMDb id."""
    path = os.path.join(directory, EXTRAINFO_FILE)
    result: dict[str, dict[str, Any]] = {}
    for number, line in read_lines(path):
        fields = line.split("::")
        if len(fields) < 11:
            rejects.reject(path, number, f"expected 11 '::'-separated fields, found {len(fields)}")
            continue
        mid = fields[0].strip()
        if mid not in movie_ids:
            continue
        entry: dict[str, Any] = {}
        director = _first_name(fields[6])
        if director:
            entry[F.DIRECTOR] = director
        star = _first_name(fields[8])
        if star:
            entry[F.STAR] = star
        release = _iso_date(fields[4])
        if release:
            entry[F.RELEASE_DATE] = release
        if entry:
            result[mid] = entry
    links = os.path.join(directory, IMDB_LINKS_FILE)
    if os.path.isfile(links):
        for number, line in read_lines(links):
            fields = line.split("::")
            if len(fields) != 2:
                rejects.reject(links, number, f"expected movieId::imdbId, found {line[:60]!r}")
                continue
            mid = fields[0].strip()
            if mid in movie_ids:
                try:
                    result.setdefault(mid, {})[F.IMDB_ID] = W.imdb_id(fields[1])
                except ValueError as exc:
                    rejects.reject(links, number, str(exc))
    return result
