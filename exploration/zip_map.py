"""Average rating per zip code on an interactive folium map, with coordinates from ``zipcodes``."""

from __future__ import annotations

import functools
import html
import re

import pandas as pd

from exploration import assets

_PLACEHOLDER = "https://movierec.invalid/vendored/"


@functools.lru_cache(maxsize=1)
def _zip_table() -> dict[str, tuple[float, float, str]]:
    """Every US zip code in the ``zipcodes`` package (offline): zip -> (lat, lon, state)."""
    import zipcodes

    return {
        z["zip_code"]: (float(z["lat"]), float(z["long"]), z["state"])
        for z in zipcodes.list_all()
        if z.get("lat") and z.get("long")
    }


def place(by_zip: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Add lat/lon/state to a per-zip table; returns (placed rows, zip codes that could not be placed)."""
    table = _zip_table()
    found = [z for z in by_zip.index if z in table]
    missing = [z for z in by_zip.index if z not in table]
    placed = by_zip.loc[found].copy()
    placed["lat"] = [table[z][0] for z in found]
    placed["lon"] = [table[z][1] for z in found]
    placed["state"] = [table[z][2] for z in found]
    return placed, missing


def _colour(value: float, low: float = 1.0, high: float = 5.0) -> str:
    """Red (low) -> yellow -> green (high)."""
    t = min(1.0, max(0.0, (value - low) / (high - low)))
    red, green = (255, int(510 * t)) if t < 0.5 else (int(510 * (1 - t)), 200)
    return f"#{red:02x}{green:02x}30"


def build_map(placed: pd.DataFrame, state: str, offline: bool = True) -> str:
    """A standalone HTML document: one circle per zip code (size: users, colour: mean rating), a
    layer per state with ``state`` shown first, Leaflet inlined when ``offline``."""
    import folium

    shown = placed[placed["state"] == state]
    centre = shown if len(shown) else placed
    lat, lon = (float(centre["lat"].mean()), float(centre["lon"].mean())) if len(centre) else (39.8, -98.6)
    fmap = folium.Map(location=[lat, lon], zoom_start=6 if len(shown) else 4, tiles="OpenStreetMap")
    # only Leaflet: the circles, layers and control below need no other plugin
    fmap.default_js = [("leaflet", f"{_PLACEHOLDER}leaflet.js" if offline else f"{assets.CDN}/leaflet.js")]
    fmap.default_css = [("leaflet_css", f"{_PLACEHOLDER}leaflet.css" if offline else f"{assets.CDN}/leaflet.css")]
    low, high = (float(placed["mean_rating"].min()), float(placed["mean_rating"].max())) if len(placed) else (1, 5)
    for name, rows in sorted(placed.groupby("state"), key=lambda kv: (kv[0] != state, kv[0])):
        layer = folium.FeatureGroup(name=f"{name} ({len(rows)} zip codes)", show=name == state)
        for zip_code, row in rows.iterrows():
            folium.CircleMarker(
                location=[row["lat"], row["lon"]],
                radius=3 + min(12, float(row["users"]) ** 0.5 * 2),
                color=_colour(row["mean_rating"], low, high),
                fill=True,
                fill_opacity=0.75,
                weight=1,
                tooltip=f"{zip_code}: mean {row['mean_rating']:.2f} from {int(row['ratings'])} ratings, "
                f"{int(row['users'])} users",
            ).add_to(layer)
        layer.add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    legend = (
        '<div style="position:absolute;bottom:20px;left:10px;z-index:1000;background:white;padding:6px 8px;'
        'font:12px sans-serif;border:1px solid #999">mean rating: '
        f'<span style="color:{_colour(low, low, high)}">&#9679; {low:.2f}</span> &rarr; '
        f'<span style="color:{_colour(high, low, high)}">&#9679; {high:.2f}</span>; '
        "circle size: users. States: the layer control (top right).</div>"
    )
    fmap.get_root().html.add_child(folium.Element(legend))
    document = fmap.get_root().render()
    if offline:
        js, css = assets.leaflet()
        document = re.sub(
            rf'<script src="{re.escape(_PLACEHOLDER)}leaflet\.js"></script>',
            lambda _: f"<script>{js}</script>",
            document,
        )
        document = re.sub(
            rf'<link rel="stylesheet" href="{re.escape(_PLACEHOLDER)}leaflet\.css"\s*/>',
            lambda _: f"<style>{css}</style>",
            document,
        )
        if _PLACEHOLDER in document:
            raise RuntimeError("a vendored asset was not inlined into the map")
    return document


def as_iframe(document: str, height: int = 520) -> str:
    """The map document embedded in the report page (srcdoc keeps the page one file)."""
    return (
        f'<iframe class="map" title="rating by zip code" style="width:100%;height:{height}px;border:0" '
        f'srcdoc="{html.escape(document, quote=True)}"></iframe>'
    )
