"""Artifact types of this project (registered in ML Metadata under these names)."""

from __future__ import annotations

from tfx.types.artifact import Artifact

from components.artifact_types import CATALOGUE_TYPE, REPORT_TYPE


class MovieCatalogue(Artifact):
    """Every movie once with its features: catalogue.tfrecord.gz (tf.Examples) and movies.csv."""

    TYPE_NAME = CATALOGUE_TYPE


class ExplorationReport(Artifact):
    """The EDA report: report.html (self-contained), figures/*.png, tables/*.csv, and the statistics
    and anomalies views it links to."""

    TYPE_NAME = REPORT_TYPE
