"""Drawing: matplotlib charts and the word cloud, as PNG bytes (titled, with labelled axes)."""

from __future__ import annotations

import io
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

COLOUR = "#3b6ea5"
SECOND = "#d9822b"


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout(rect=(0, 0, 1, 0.97) if fig._suptitle else None)
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()


def _short(label: str, width: int = 40) -> str:
    """A long title cut in the middle, keeping its "(year)" end."""
    return label if len(label) <= width else f"{label[: width - 9]}…{label[-7:]}"


def bars(series: pd.Series, title: str, xlabel: str, ylabel: str, horizontal: bool = False) -> bytes:
    """One bar per index value (horizontal: long labels such as titles, the first on top)."""
    height = max(3.0, 0.32 * len(series) + 1) if horizontal else 3.6
    fig, ax = plt.subplots(figsize=(8, height))
    labels = [str(i) for i in series.index]
    if horizontal:
        ax.barh(labels[::-1], series.values[::-1], color=COLOUR)
    else:
        ax.bar(labels, series.values, color=COLOUR)
        if max((len(s) for s in labels), default=0) > 4:
            ax.tick_params(axis="x", labelrotation=45)
            plt.setp(ax.get_xticklabels(), ha="right")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return _png(fig)


def grouped_bars(table: pd.DataFrame, title: str, xlabel: str, ylabel: str) -> bytes:
    """Columns of ``table`` side by side for each index value."""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    table.plot.bar(ax=ax, rot=0, color=[COLOUR, SECOND, "#6a9f58", "#9b59b6"][: len(table.columns)])
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return _png(fig)


def panels(tables: Mapping[str, pd.Series], title: str, xlabel: str, columns: int = 2) -> bytes:
    """Small multiples: one horizontal bar chart per group (gender, age group)."""
    rows = (len(tables) + columns - 1) // columns
    longest = max((len(s) for s in tables.values()), default=1)
    fig, axes = plt.subplots(rows, columns, figsize=(6.5 * columns, (0.28 * longest + 1.2) * rows), squeeze=False)
    for ax, (group, series) in zip(axes.flat, tables.items(), strict=False):
        labels = [_short(str(i)) for i in series.index]
        ax.barh(labels[::-1], series.values[::-1], color=COLOUR)
        ax.set_title(group)
        ax.set_xlabel(xlabel)
        ax.tick_params(axis="y", labelsize=7)
    for ax in list(axes.flat)[len(tables) :]:
        ax.axis("off")
    fig.suptitle(title)
    return _png(fig)


def line_and_bars(table: pd.DataFrame, title: str, xlabel: str) -> bytes:
    """Ratings per group as bars (left axis) and the mean rating as a line (right axis)."""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    labels = [str(i) for i in table.index]
    ax.bar(labels, table["ratings"], color=COLOUR, label="ratings")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("ratings")
    ax.set_title(title)
    right = ax.twinx()
    right.plot(labels, table["mean_rating"], color=SECOND, marker="o", label="mean rating")
    right.set_ylabel("mean rating")
    ax.tick_params(axis="x", labelrotation=45)
    return _png(fig)


def word_cloud(weights: Mapping[str, float], title: str) -> bytes:
    """Words sized by weight (the worst movies: the lower the mean rating, the larger)."""
    from wordcloud import WordCloud

    fig, ax = plt.subplots(figsize=(8, 4))
    if weights:
        cloud = WordCloud(width=800, height=380, background_color="white", colormap="Reds", random_state=7)
        ax.imshow(cloud.generate_from_frequencies(dict(weights)), interpolation="bilinear")
    else:
        ax.text(0.5, 0.5, "no movie has enough ratings", ha="center", va="center")
    ax.axis("off")
    ax.set_title(title)
    return _png(fig)
