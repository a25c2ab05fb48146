"""The exploration report's settings (one typed place; the pipeline config holds one)."""

from __future__ import annotations

import dataclasses

REPORT_FILE = "report.html"  # the page, at the top of the report's folder
STATISTICS_VIEW = "statistics.html"  # beside it: the data views it links to
ANOMALIES_VIEW = "anomalies.html"


@dataclasses.dataclass(frozen=True)
class ReportConfig:
    """The exploration report (exploration/): list lengths, minimum counts, the map's state."""

    enabled: bool = True
    top_n: int = 15
    min_ratings_best: int = 100  # best-loved movies: mean rating among movies with at least this many ratings
    min_ratings_worst: int = 100  # worst movies: the same floor
    map_state: str = "CA"  # the state shown first on the zip-code map
