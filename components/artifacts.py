"""Artifact types of this project (registered in ML Metadata under these names)."""

from __future__ import annotations

from tfx.types.artifact import Artifact

from pipeline.pipeline_ids import CATALOGUE_TYPE


class MovieCatalogue(Artifact):
    """Every movie once with its features: catalogue.tfrecord.gz (tf.Examples) and movies.csv."""

    TYPE_NAME = CATALOGUE_TYPE
