"""DCN-v2 ranking: the cross-layer importance computation, the model on a real Transform output,
its export, and the feature-importance picture a run writes."""

from __future__ import annotations

import csv
import glob
import json

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform as tft

from serving import contract as C
from tests.model_data import fn_args
from trainer import dcn
from trainer.config import IMPORTANCE_CSV, IMPORTANCE_PNG, ModelConfig
from trainer.data import transformed_batches
from trainer.models import MovieModel, make_optimizer
from trainer.run import HISTORY_FILE, run_fn
from trainer.towers import vocab_sizes
from transform import features as F


def test_importance_is_the_frobenius_norm_of_each_feature_pair_block():
    # 3 features of width 2: block (row feature 0, column feature 1) all ones, (2, 2) a 3-4-0-0 block
    matrix = np.zeros((6, 6))
    matrix[0:2, 2:4] = 1.0
    matrix[4, 4], matrix[4, 5] = 3.0, 4.0
    importance = dcn.cross_importance(matrix, 3)
    expected = np.zeros((3, 3))
    expected[0, 1] = 2.0  # sqrt(4 ones)
    expected[2, 2] = 5.0  # sqrt(9 + 16)
    np.testing.assert_allclose(importance, expected)
    with pytest.raises(ValueError, match="does not split into 4 features"):
        dcn.cross_importance(matrix, 4)


def test_a_low_rank_cross_layer_reports_u_times_v():
    sizes = {F.USER_ID: 5, F.MOVIE_ID: 5}
    head = dcn.CrossRatingHead(sizes, cross_layers=2, deep_layers=(4,), projection_dim=3)
    query, candidate = tf.random.normal([4, 6]), tf.random.normal([4, 4])
    out = head(query, candidate, tf.constant([0, 1, 2, 3]), tf.constant([1, 1, 2, 2]))
    assert out.shape == (4,)
    cross = head.crosses[0]
    np.testing.assert_allclose(
        head.first_cross_matrix(), cross._dense_u.kernel.numpy() @ cross._dense_v.kernel.numpy(), rtol=1e-6
    )
    assert head.first_cross_matrix().shape == (10, 10)


@pytest.mark.parametrize("structure", ["stacked", "parallel"])
def test_both_structures_give_one_rating_per_example(structure):
    sizes = {F.USER_ID: 5, F.MOVIE_ID: 5}
    head = dcn.CrossRatingHead(sizes, cross_layers=1, deep_layers=(8, 4), structure=structure)
    out = head(tf.ones([3, 6]), tf.ones([3, 4]), tf.constant([0, 1, 2]), tf.constant([0, 1, 2]))
    assert out.shape == (3,) and np.isfinite(out.numpy()).all()


def test_dcn_is_a_ranking_model_only():
    with pytest.raises(ValueError, match="ranking model"):
        ModelConfig(kind="retrieval", architecture="dcn")
    with pytest.raises(ValueError, match="cross_structure"):
        ModelConfig(kind="ranking", architecture="dcn", cross_structure="diagonal")  # type: ignore[arg-type]


_DCN = ModelConfig(
    kind="ranking",
    architecture="dcn",
    embedding_dim=8,
    rating_layers=(16,),
    cross_layers=2,
    epochs=1,
    batch_size=128,
    optimizer="adam",
    learning_rate=0.01,
)


def test_a_few_epochs_reduce_the_loss(transformed, tmp_path):
    tf.keras.utils.set_random_seed(1)
    out = tft.TFTransformOutput(transformed.transform_graph)
    args = fn_args(transformed, tmp_path, _DCN.to_dict())
    data = transformed_batches(args.train_files, out, _DCN.batch_size)
    model = MovieModel(_DCN, vocab_sizes(out), global_mean=3.5)
    model.compile(optimizer=make_optimizer(_DCN))
    before = model.evaluate(data, return_dict=True, verbose=0)["loss"]
    model.fit(data, epochs=10, verbose=0)
    after = model.evaluate(data, return_dict=True, verbose=0)["loss"]
    assert after < before * 0.8, (before, after)


def test_a_dcn_run_exports_and_writes_its_feature_importance(transformed, tmp_path):
    args = fn_args(transformed, tmp_path, _DCN.to_dict())
    run_fn(args)

    history = json.loads((tmp_path / "run" / HISTORY_FILE).read_text())
    names = history["feature_importance"]["features"]
    matrix = np.array(history["feature_importance"]["matrix"])
    assert names == list(dcn.FEATURE_NAMES) and matrix.shape == (len(names), len(names))
    assert (matrix > 0).all()

    with open(tmp_path / "run" / IMPORTANCE_CSV) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["feature", *names] and [r[0] for r in rows[1:]] == names
    np.testing.assert_allclose(np.array([r[1:] for r in rows[1:]], float), matrix, rtol=1e-4)
    png = (tmp_path / "run" / IMPORTANCE_PNG).read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000

    # the exported ranking signatures give the in-memory model's ratings
    loaded = tf.saved_model.load(args.serving_model_dir)
    files = glob.glob(f"{transformed.raw_examples}/Split-eval/*")
    examples = tf.constant([r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP").take(32)])
    rating = loaded.signatures[C.TF_EXAMPLE](examples=examples)[C.PREDICTED_RATING].numpy()
    assert rating.shape == (32,) and np.isfinite(rating).all() and 1.0 < rating.mean() < 5.0
