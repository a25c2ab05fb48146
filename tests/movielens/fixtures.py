"""Hand-written MovieLens-format fixtures (tiny, with the awkward cases the real files have)."""

from __future__ import annotations

from pathlib import Path

ML1M_USERS = (
    "1::F::1::10::48067\n"  # K-12 student
    "2::M::56::16::70072\n"
    "3::M::25::4::98107-2117\n"  # college/grad student, ZIP+4
    "4::F::45::0::02139\n"
)
ML1M_MOVIES = (
    "1::Toy Story (1995)::Animation|Children's|Comedy\n"
    "2::Amélie (2001)::Comedy|Romance\n"
    "3::Heat (1995)::Action|Crime|Thriller\n"
    "4::Heat (1995)::Drama\n"  # duplicate title, other id
    "5::Misérables, Les (1995)::Drama|Musical\n"
)
ML1M_RATINGS = (
    "1::1::5::978300760\n"
    "1::2::3::978302109\n"
    "2::3::4::978301968\n"
    "3::4::2::978300275\n"
    "3::5::5::978824291\n"
    "4::1::1::978302039\n"
)
ML100K_USERS = "1|24|M|technician|85711\n2|53|F|librarian|94043\n3|15|M|student|T8H1N\n"
ML100K_ITEMS = (
    "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
    "2|GoldenEye (1995)|01-Jan-1995||http://x|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|1|0|0\n"
    "267|unknown||||1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
)
ML100K_DATA = "1\t1\t5\t874965758\n2\t2\t3\t876893171\n3\t267\t4\t878542960\n"


def write_ml1m(folder: Path, users: str = ML1M_USERS, movies: str = ML1M_MOVIES, ratings: str = ML1M_RATINGS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "users.dat").write_text(users, encoding="latin-1")
    (folder / "movies.dat").write_bytes(movies.encode("latin-1"))
    (folder / "ratings.dat").write_text(ratings, encoding="ascii")
    return folder


def write_ml100k(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "u.user").write_text(ML100K_USERS, encoding="latin-1")
    (folder / "u.item").write_text(ML100K_ITEMS, encoding="latin-1")
    (folder / "u.data").write_text(ML100K_DATA, encoding="ascii")
    return folder
