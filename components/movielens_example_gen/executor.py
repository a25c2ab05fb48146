"""Executor of the MovieLens ExampleGen: driver-side reading of users/movies, Beam for ratings."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable
from typing import Any

import apache_beam as beam
import numpy as np
import pyarrow as pa
import tensorflow as tf
from absl import logging
from apache_beam.io.tfrecordio import _TFRecordUtil
from tfx import types
from tfx.components.example_gen import write_split
from tfx.components.util import examples_utils
from tfx.dsl.components.base import base_beam_executor
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils
from tfx_bsl.coders.example_coder import RecordBatchToExamplesEncoder

from movielens import enrichment, readers, splits
from movielens.catalogue import write_catalogue
from movielens.config import DataConfig
from movielens.errors import DataError, Rejects
from movielens.example_codec import to_example
from movielens.history import history_windows
from movielens.text_files import decode
from transform import features as F

EXAMPLES_KEY = "examples"
CATALOGUE_KEY = "catalogue"
SUMMARY_JSON = "summary.json"
REJECTED_FILE = "rejected.tsv"
CHUNK_LINES = 100_000
_COUNTER_NS = "movierec.example_gen"
_DEFAULTS = DataConfig()  # when a property is not given


def line_chunks(path: str, chunk_lines: int = CHUNK_LINES) -> tuple[list[tuple[int, int, int]], int]:
    """Byte ranges of the file, ``chunk_lines`` lines each: [(start, end, first_line)], lines."""
    chunks: list[tuple[int, int, int]] = []
    offset = start = 0
    lines = 0
    with tf.io.gfile.GFile(path, "rb") as f:
        head = f.read(1 << 16)
        if b"\x00" in head:
            decode(path, head)  # raises a DataError naming the file and line
        f.seek(0)
        for raw in f:
            lines += 1
            offset += len(raw)
            if lines % chunk_lines == 0:
                chunks.append((start, offset, lines - chunk_lines + 1))
                start = offset
    if offset > start:
        chunks.append((start, offset, (lines // chunk_lines) * chunk_lines + 1))
    return chunks, lines


class _ParseChunk(beam.DoFn):
    """A byte range of the ratings file -> (user id, [(line, timestamp, movie id, rating), ...]) per
    user of that range, or rejected lines.

    Batch-level: the whole range is read, split and parsed in one call, and only one element per
    user of the range travels on (a per-line Beam element costs more than parsing the line).
    """

    REJECTED = "rejected"

    def __init__(self, fmt: str, path: str, users: dict, movies: dict) -> None:
        self._fmt, self._path = fmt, path
        self._users, self._movies = frozenset(users), frozenset(movies)
        self._ok = beam.metrics.Metrics.counter(_COUNTER_NS, "ratings")
        self._bad = beam.metrics.Metrics.counter(_COUNTER_NS, "rejected_ratings")

    def process(self, chunk: tuple[int, int, int]):
        start, end, first_line = chunk
        with tf.io.gfile.GFile(self._path, "rb") as f:
            f.seek(start)
            data = f.read(end - start)
        lines = data.split(b"\n")
        if data.endswith(b"\n"):
            lines.pop()
        by_user: dict[str, list[tuple[int, int, str, float]]] = {}
        ok = 0
        for i, raw in enumerate(lines):
            text = raw.decode("utf-8", errors="replace").rstrip("\r")
            if not text.strip():
                continue
            line = first_line + i
            try:
                uid, mid, rating, ts = readers.parse_rating(self._fmt, text)  # type: ignore[arg-type]
                if uid not in self._users:
                    raise ValueError(f"user {uid} is not in the users file")
                if mid not in self._movies:
                    raise ValueError(f"movie {mid} is not in the movies file")
            except ValueError as exc:
                self._bad.inc()
                yield beam.pvalue.TaggedOutput(self.REJECTED, f"{self._path}\t{line}\t{exc}")
                continue
            ok += 1
            by_user.setdefault(uid, []).append((line, ts, mid, rating))
        self._ok.inc(ok)
        yield from by_user.items()


class _UserExamples(beam.DoFn):
    """One user's ratings (with their split) -> (is_eval, framed TFRecord block) per split.

    Only small tuples travel through the shuffle; the examples are made here, a user at a time
    without a Python loop per example: the histories are array windows
    (:func:`movielens.history.history_windows`) and the rating's own features are encoded to
    tf.Examples by tfx_bsl's C++ ``RecordBatchToExamplesEncoder``. The user and movie parts of
    every example are serialized once; protobuf's wire format merges concatenated messages, so an
    example is user bytes + movie bytes + the rating's own bytes. A user's examples of one split
    leave as one block of framed TFRecords, so the gzip sink compresses a block per user rather
    than a call per example.
    """

    def __init__(self, users: dict, movies: dict, history_length: int) -> None:
        self._users, self._movies, self._length = users, movies, history_length
        self._train = beam.metrics.Metrics.counter(_COUNTER_NS, f"{splits.TRAIN}_examples")
        self._eval = beam.metrics.Metrics.counter(_COUNTER_NS, f"{splits.EVAL}_examples")

    def setup(self) -> None:
        self._user_bytes = {k: to_example(v).SerializeToString() for k, v in self._users.items()}
        movie_ids = list(self._movies)
        self._movie_index = {m: i for i, m in enumerate(movie_ids)}
        self._movie_parts = [to_example(self._movies[m]).SerializeToString() for m in movie_ids]
        self._movie_id_bytes = pa.array([m.encode() for m in movie_ids], pa.binary())
        self._encoder = RecordBatchToExamplesEncoder()

    def process(self, item: tuple[str, Iterable[list[tuple[int, int, str, float, bool]]]]):
        uid, groups = item
        rows = [r for group in groups for r in group]
        lines, stamps, movie_ids, stars, is_eval = zip(*rows, strict=True)
        movies = np.fromiter((self._movie_index[m] for m in movie_ids), np.int64, len(rows))
        stamps_np = np.asarray(stamps, np.int64)
        stars_np = np.asarray(stars, np.float32)
        is_eval_np = np.asarray(is_eval, bool)
        offsets, positions = history_windows(stamps_np, np.asarray(lines), movies, is_eval_np, self._length)
        one = pa.array(np.arange(len(rows) + 1, dtype=np.int32))
        history = pa.array(offsets.astype(np.int32))
        batch = pa.RecordBatch.from_arrays(
            [
                pa.ListArray.from_arrays(one, pa.array(stars_np)),
                pa.ListArray.from_arrays(one, pa.array(stamps_np)),
                pa.ListArray.from_arrays(history, self._movie_id_bytes.take(pa.array(movies[positions]))),
                pa.ListArray.from_arrays(history, pa.array(stars_np[positions])),
            ],
            [F.USER_RATING, F.TIMESTAMP, F.HISTORY_MOVIE_IDS, F.HISTORY_RATINGS],
        )
        user = self._user_bytes[uid]
        blocks: tuple[io.BytesIO, io.BytesIO] = (io.BytesIO(), io.BytesIO())
        for own, movie, evaluated in zip(self._encoder.encode(batch), movies.tolist(), is_eval, strict=True):
            _TFRecordUtil.write_record(blocks[evaluated], user + self._movie_parts[movie] + own)
        n_eval = int(is_eval_np.sum())
        self._train.inc(len(rows) - n_eval)
        self._eval.inc(n_eval)
        if n_eval < len(rows):
            yield blocks[0].getvalue()
        if n_eval:
            yield beam.pvalue.TaggedOutput(splits.EVAL, blocks[1].getvalue())


class Executor(base_beam_executor.BaseBeamExecutor):
    """Reads a MovieLens data set (+ enrichment) and writes train/eval tf.Examples and a catalogue."""

    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        self._log_startup(input_dict, output_dict, exec_properties)
        examples = artifact_utils.get_single_instance(output_dict[EXAMPLES_KEY])
        catalogue = artifact_utils.get_single_instance(output_dict[CATALOGUE_KEY])
        policy = exec_properties.get("on_bad_line") or _DEFAULTS.on_bad_line
        rejects = Rejects(policy)
        source, users, movies, enrichment_kind = _read_users_and_movies(exec_properties, rejects)
        chunks, num_lines = line_chunks(source.ratings)
        if num_lines == 0:
            raise DataError(source.ratings, None, "the ratings file is empty")

        examples.split_names = artifact_utils.encode_split_names(list(splits.SPLIT_NAMES))
        history_length = int(exec_properties.get("history_length") or _DEFAULTS.history_length)
        rejected_prefix = os.path.join(examples.uri, "rejected-ratings")
        pipeline = self._make_beam_pipeline()
        _examples_graph(pipeline, examples, source, users, movies, chunks, num_lines, exec_properties, rejected_prefix)
        result = pipeline.run()
        result.wait_until_finish()
        counters = {
            c.key.metric.name: c.committed
            for c in result.metrics().query(beam.metrics.MetricsFilter().with_namespace(_COUNTER_NS))["counters"]
        }
        rejected = _write_rejected(examples.uri, rejects, rejected_prefix, policy)

        examples_utils.set_payload_format(examples, example_gen_pb2.FORMAT_TF_EXAMPLE)
        examples_utils.set_file_format(examples, "tfrecords_gzip")
        summary = {
            "format": source.format,
            "source": source.directory,
            "enrichment": enrichment_kind,
            "split": exec_properties.get("split", _DEFAULTS.split),
            "users": len(users),
            "movies": len(movies),
            "train_examples": int(counters.get("train_examples", 0)),
            "eval_examples": int(counters.get("eval_examples", 0)),
            "rejected_lines": rejected,
            "history_length": history_length,
        }
        _write_summary(examples, summary)
        write_catalogue(catalogue.uri, movies)
        catalogue.set_int_custom_property("movies", len(movies))
        catalogue.set_string_custom_property("enrichment", enrichment_kind)
        logging.info("MovieLensExampleGen: %s", json.dumps(summary))


def _read_users_and_movies(exec_properties: dict[str, Any], rejects: Rejects) -> tuple:
    """The data set's format and files, its users and its (enriched) movies, read on the driver."""
    source = readers.detect(exec_properties["data_dir"])
    logging.info("MovieLensExampleGen: reading %s data from %s", source.format, source.directory)
    users = readers.read_users(source, rejects)
    movies = readers.read_movies(source, rejects)
    explicit = exec_properties.get("enrichment_dir") or None
    kind = enrichment.enrich_movies(movies, (exec_properties["data_dir"], source.directory), explicit, rejects)
    if kind:
        logging.info("MovieLensExampleGen: %s enrichment merged", kind)
    return source, users, movies, kind


def _examples_graph(
    pipeline: beam.Pipeline,
    examples: types.Artifact,
    source: readers.SourceFiles,
    users: dict,
    movies: dict,
    chunks: list[tuple[int, int, int]],
    num_lines: int,
    exec_properties: dict[str, Any],
    rejected_prefix: str,
) -> None:
    """ratings -> per-user examples with their split -> gzipped TFRecords per split (+ rejected lines)."""
    parsed = (
        pipeline
        | "Chunks" >> beam.Create(chunks)
        | "ParseAndJoin"
        >> beam.ParDo(_ParseChunk(source.format, source.ratings, users, movies)).with_outputs(
            _ParseChunk.REJECTED, main="rows"
        )
    )
    eval_fraction = float(exec_properties.get("eval_fraction", _DEFAULTS.eval_fraction))
    history_length = int(exec_properties.get("history_length") or _DEFAULTS.history_length)
    tagged = _assign_split(
        parsed.rows, exec_properties.get("split", _DEFAULTS.split), eval_fraction, num_lines, exec_properties
    )
    made = (
        tagged
        | "ByUser" >> beam.GroupByKey()
        | "Examples"
        >> beam.ParDo(_UserExamples(users, movies, history_length)).with_outputs(splits.EVAL, main=splits.TRAIN)
    )
    # TFX's WriteSplit would reshuffle a million serialized examples through a GroupByKey first;
    # the trainers reshuffle every epoch anyway. Same files: gzipped TFRecords, TFX's file name.
    # The elements are blocks of records already framed as TFRecords (Beam's own framing), so the
    # sink writes their bytes as they are: Beam's text sink without line ends is that sink.
    for name in (splits.TRAIN, splits.EVAL):
        _ = made[name] | f"WriteSplit[{name}]" >> beam.io.WriteToText(
            os.path.join(artifact_utils.get_split_uri([examples], name), write_split.DEFAULT_FILE_NAME),
            file_name_suffix=".gz",
            append_trailing_newlines=False,
            coder=beam.coders.BytesCoder(),
        )
    _ = parsed.rejected | "WriteRejected" >> beam.io.WriteToText(rejected_prefix, shard_name_template="")


def _assign_split(groups, split: str, eval_fraction: float, num_lines: int, exec_properties: dict[str, Any]):
    """(user, [(line, timestamp, movie, rating)]) per chunk -> the same with is_eval appended to each tuple."""
    if split == "temporal":
        cutoff = (
            groups
            | "TemporalKeys" >> beam.Map(lambda g: [splits.temporal_key(r[1], r[0]) for r in g[1]])
            | "AllKeys" >> beam.combiners.ToList()
            | "Cutoff" >> beam.Map(lambda keys: splits.temporal_cutoff([k for ks in keys for k in ks], eval_fraction))
        )
        return groups | "AssignSplit" >> beam.Map(
            lambda g, c: (g[0], [(*r, splits.temporal_key(r[1], r[0]) >= c) for r in g[1]]),
            beam.pvalue.AsSingleton(cutoff),
        )
    mask = splits.random_eval_mask(num_lines, eval_fraction, int(exec_properties.get("seed", _DEFAULTS.seed)))
    return groups | "AssignSplit" >> beam.Map(lambda g: (g[0], [(*r, bool(mask[r[0]])) for r in g[1]]))


def _write_rejected(examples_uri: str, rejects: Rejects, rejected_prefix: str, policy: str) -> int:
    """rejected.tsv (users, movies, enrichment, ratings), or the first bad rating as a DataError
    under the "error" policy; returns the number of lines listed."""
    rejected_lines = [f"{e.path}\t{e.line or ''}\t{e.message}" for e in rejects.rows]
    bad_ratings: list[str] = []
    if tf.io.gfile.exists(rejected_prefix):
        with tf.io.gfile.GFile(rejected_prefix) as f:
            bad_ratings = [line.rstrip("\n") for line in f if line.strip()]
        tf.io.gfile.remove(rejected_prefix)
    bad_ratings.sort(key=lambda s: int(s.split("\t")[1]))
    if bad_ratings and policy == "error":
        first = bad_ratings[0].split("\t", 2)
        more = f" (and {len(bad_ratings) - 1} more bad lines)" if len(bad_ratings) > 1 else ""
        raise DataError(first[0], int(first[1]), first[2] + more)
    path = os.path.join(examples_uri, REJECTED_FILE)
    with tf.io.gfile.GFile(path, "w") as f:
        f.write("file\tline\tproblem\n")
        for entry in rejected_lines + bad_ratings:
            f.write(entry + "\n")
    if rejected_lines or bad_ratings:
        logging.warning(
            "MovieLensExampleGen: skipped %d bad line(s), listed in %s", len(rejected_lines) + len(bad_ratings), path
        )
    return len(rejected_lines) + len(bad_ratings)


def _write_summary(examples: types.Artifact, summary: dict[str, Any]) -> None:
    """The run's figures as the Examples artifact's custom properties and as summary.json."""
    for key, value in summary.items():
        if isinstance(value, int):
            examples.set_int_custom_property(key, value)
        else:
            examples.set_string_custom_property(key, value)
    with tf.io.gfile.GFile(os.path.join(examples.uri, SUMMARY_JSON), "w") as f:
        json.dump(summary, f, indent=2)
