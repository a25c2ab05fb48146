"""The report's wrangling rules, as small pure functions (no I/O)."""

from __future__ import annotations

import re
import unicodedata

from movielens import features as F

_YEAR_RE = re.compile(r"\((\d{4})\)\s*$")
_NON_WORD_RE = re.compile(r"[^A-Za-z0-9 ,.:;'!?&()\-/]")
_SPACES_RE = re.compile(r"\s+")


class UnknownLabelError(ValueError):
    """A value outside a fixed label table (genre, occupation, gender, age)."""


def zip5(zip_code: str) -> str:
    """The report's 5-character zip code: the first 5 characters, e.g. '98107-2117' -> '98107'."""
    return zip_code.strip()[:5]


def ascii_clean(text: str) -> str:
    """Drop accents and special characters: 'Amélie (2001)' -> 'Amelie (2001)'."""
    no_symbols = "".join(c for c in text if not unicodedata.category(c).startswith("S") or c.isascii())
    folded = unicodedata.normalize("NFKD", no_symbols)
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = folded.encode("ascii", "ignore").decode("ascii")
    folded = _NON_WORD_RE.sub(" ", folded)
    return _SPACES_RE.sub(" ", folded).strip()


def year_from_title(title: str) -> int | None:
    """The release year MovieLens puts at the end of a title: 'Heat (1995)' -> 1995."""
    match = _YEAR_RE.search(title)
    return int(match.group(1)) if match else None


def genre_id(name: str) -> int:
    """A genre label (any MovieLens spelling) -> its id in the 21-label set."""
    name = name.strip()
    canonical = F.GENRE_ALIASES.get(name, name)
    try:
        return F.GENRE_IDS[canonical]
    except KeyError:
        raise UnknownLabelError(f"unknown genre {name!r} (known: {', '.join(F.GENRES)})") from None


def genre_ids(pipe_separated: str) -> list[int]:
    """'Animation|Children's|Comedy' -> [2, 3, 4]; an empty list -> [20] (no genres listed)."""
    names = [g for g in pipe_separated.split("|") if g.strip()]
    if not names:
        return [F.GENRE_IDS["(no genres listed)"]]
    ids: list[int] = []
    for name in names:
        gid = genre_id(name)
        if gid not in ids:
            ids.append(gid)
    return ids


def ml1m_occupation(code: str) -> tuple[str, int]:
    """An ml-1m occupation code -> (user_occupation_text, user_occupation_label), K-12 fix applied."""
    try:
        text = F.ML1M_OCCUPATIONS[int(code)]
    except (ValueError, IndexError):
        raise UnknownLabelError(f"unknown ml-1m occupation code {code!r} (expected 0-20)") from None
    return text, F.ML1M_OCCUPATION_LABEL[text]


def ml100k_occupation(word: str) -> tuple[str, int]:
    """An ml-100k occupation word -> (user_occupation_text, user_occupation_label)."""
    word = word.strip()
    try:
        return word, F.ML100K_OCCUPATION_LABEL[word]
    except KeyError:
        raise UnknownLabelError(f"unknown ml-100k occupation {word!r}") from None


def age_bucket(age: int) -> int:
    """A raw age -> its ml-1m bucket (1, 18, 25, 35, 45, 50, 56)."""
    if age < 0:
        raise UnknownLabelError(f"negative age {age}")
    bucket = 1
    for lower in sorted(F.AGE_BUCKETS):
        if age >= lower:
            bucket = lower
    return bucket


def ml1m_age_bucket(value: str) -> int:
    """ml-1m stores the bucket itself; it must be one of the seven."""
    age = int(value)
    if age not in F.AGE_BUCKETS:
        raise UnknownLabelError(f"unknown ml-1m age bucket {value!r} (expected one of {sorted(F.AGE_BUCKETS)})")
    return age


def gender(value: str) -> str:
    """'M'/'F' (any case) -> 'M'/'F'."""
    g = value.strip().upper()
    if g not in F.GENDERS:
        raise UnknownLabelError(f"unknown gender {value!r} (expected F or M)")
    return g


def imdb_id(value: str | int) -> str:
    """'114709' / 114709 / 'tt0114709' -> 'tt0114709'."""
    text = str(value).strip()
    if text.startswith("tt"):
        text = text[2:]
    if not text.isdigit():
        raise ValueError(f"not an IMDb id: {value!r}")
    return f"tt{int(text):07d}"


def unique_titles(titles: dict[str, str]) -> dict[str, str]:
    """Make titles unique across movie ids: a repeated title gets its movie id appended.

    MovieLens' own ids are kept (ratings are not merged); the first id (in numeric order) keeps
    the plain title, later ones become e.g. 'Chasers (1994) [#297]'.
    """
    seen: set[str] = set()
    result: dict[str, str] = {}
    for movie_id in sorted(titles, key=lambda m: (len(m), m)):
        title = titles[movie_id]
        result[movie_id] = title if title not in seen else f"{title} [#{movie_id}]"
        seen.add(title)
    return result
