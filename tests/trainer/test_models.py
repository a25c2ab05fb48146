"""Model unit tests on a real Transform output: shapes, learning, export/reload, signatures."""

from __future__ import annotations

import glob
import json

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform as tft

from movielens.catalogue import read_catalogue
from serving import contract as C
from tests.model_data import fn_args
from trainer import ease
from trainer.config import ModelConfig
from trainer.data import MOVIE_ID_KEY, catalogue_tensors, load_split, rows_by_vocabulary_index, transformed_batches
from trainer.models import MOVIE_XF, MovieModel, make_optimizer
from trainer.run import HISTORY_FILE, run_fn, train, train_statistics
from trainer.towers import vocab_sizes
from transform import features as F


def _raw_eval_examples(data, n=64) -> tf.Tensor:
    files = glob.glob(f"{data.raw_examples}/Split-eval/*")
    return tf.constant([r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP").take(n)])


def test_config_roundtrip_and_validation():
    config = ModelConfig(kind="multitask", tower_layers=(32, 16))
    assert ModelConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    with pytest.raises(ValueError, match="model kind"):
        ModelConfig(kind="listwise")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown model setting"):
        ModelConfig.from_dict({"kind": "ranking", "epochz": 3})


def test_towers_and_rating_shapes(transformed, tmp_path):
    out = tft.TFTransformOutput(transformed.transform_graph)
    config = ModelConfig(kind="multitask", embedding_dim=16, tower_layers=(8,))
    catalogue = catalogue_tensors(transformed.catalogue, out)
    rows = rows_by_vocabulary_index(catalogue[MOVIE_XF], vocab_sizes(out)[F.MOVIE_ID])
    model = MovieModel(config, vocab_sizes(out), catalogue=catalogue, rows_by_index=rows)
    batch = next(iter(transformed_batches([f"{transformed.raw_examples}/Split-train/*"], out, batch_size=32)))
    result = model(batch)
    assert result["query"].shape == (32, 16) and result["candidate"].shape == (32, 16)
    assert result["rating"].shape == (32,)


# Retrieval's in-batch softmax has a high floor on a 40-movie catalogue: a smaller drop is asked.
@pytest.mark.parametrize(
    ("kind", "loss", "factor"),
    [("ranking", "softmax", 0.85), ("retrieval", "in_batch", 0.97), ("retrieval", "softmax", 0.95)],
)
def test_a_few_epochs_reduce_the_loss(transformed, tmp_path, kind, loss, factor):
    tf.keras.utils.set_random_seed(1)
    out = tft.TFTransformOutput(transformed.transform_graph)
    config = ModelConfig(
        kind=kind, embedding_dim=16, batch_size=128, optimizer="adam", learning_rate=0.02, retrieval_loss=loss
    )
    args = fn_args(transformed, tmp_path, config.to_dict())
    data = transformed_batches(args.train_files, out, config.batch_size)
    catalogue = catalogue_tensors(transformed.catalogue, out)
    rows = rows_by_vocabulary_index(catalogue[MOVIE_XF], vocab_sizes(out)[F.MOVIE_ID])
    model = MovieModel(config, vocab_sizes(out), catalogue=catalogue, rows_by_index=rows)
    model.compile(optimizer=make_optimizer(config))
    before = model.evaluate(data, return_dict=True, verbose=0)["loss"]
    model.fit(data, epochs=10, verbose=0)
    after = model.evaluate(data, return_dict=True, verbose=0)["loss"]
    assert after < before * factor, (before, after)


@pytest.fixture(scope="module")
def multitask_export(transformed, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("multitask")
    config = ModelConfig(
        kind="multitask",
        embedding_dim=16,
        epochs=2,
        batch_size=128,
        optimizer="adam",
        learning_rate=0.01,
        top_k=10,
        ease_weight=2.0,
        ease_l2=10.0,
    )
    args = fn_args(transformed, tmp, config.to_dict())
    model, record = train(config, args)
    return model, args, config, record


def test_export_and_reload_give_the_in_memory_outputs(transformed, multitask_export):
    model, args, config, _ = multitask_export
    out = tft.TFTransformOutput(transformed.transform_graph)
    loaded = tf.saved_model.load(args.serving_model_dir)
    examples = _raw_eval_examples(transformed)

    spec = dict(out.raw_feature_spec())
    spec.pop(F.USER_RATING)
    features = out.transform_features_layer()(tf.io.parse_example(examples, spec))
    in_memory = model(features)
    from_disk = loaded.signatures[C.TF_EXAMPLE](examples=examples)
    np.testing.assert_allclose(from_disk[C.PREDICTED_RATING].numpy(), in_memory["rating"].numpy(), rtol=1e-5)

    # tf_example (the report's protocol): the two-tower model's top K over every movie,
    # a brute-force log-softmax of the in-memory towers
    catalogue = catalogue_tensors(transformed.catalogue, out)
    ids = catalogue[MOVIE_ID_KEY]
    two_tower = _log_softmax(in_memory["query"].numpy(), model, catalogue)
    expected = ids[np.argsort(-two_tower, axis=1, kind="stable")[:, : config.top_k]]
    assert (from_disk[C.MOVIE_IDS].numpy() == expected).mean() > 0.95  # float ties may swap neighbours
    np.testing.assert_allclose(
        from_disk[C.SCORES].numpy(), np.sort(two_tower, axis=1)[:, ::-1][:, : config.top_k], rtol=1e-4, atol=1e-4
    )

    # serving_default: two-tower + w * EASE(everything rated), seen movies excluded; EASE refitted here
    rows = rows_by_vocabulary_index(catalogue[MOVIE_XF], vocab_sizes(out)[F.MOVIE_ID])
    train = train_statistics(load_split(args.train_files, out))
    b = ease.fit(train.users, rows[train.movies], len(ids), config.ease_l2)
    history = [m.decode() for m in ids[:7]]
    request = _user_inputs(n=1, history=tuple(history))
    query = model.query_tower(_transform_request(out, request)).numpy()
    seen = np.isin(ids.astype(str), history).astype(np.float64)[None, :]
    hybrid = _log_softmax(query, model, catalogue) + config.ease_weight * seen @ b
    hybrid[seen > 0] = -np.inf
    top = ids[np.argsort(-hybrid, axis=1, kind="stable")[:, : config.top_k]]
    got = loaded.signatures[C.SERVING_DEFAULT](**request)
    assert (got[C.MOVIE_IDS].numpy() == top).mean() > 0.9
    np.testing.assert_allclose(
        got[C.SCORES].numpy(), np.sort(hybrid, axis=1)[:, ::-1][:, : config.top_k], rtol=1e-4, atol=1e-4
    )


def _log_softmax(query: np.ndarray, model, catalogue: dict[str, np.ndarray]) -> np.ndarray:
    logits = query @ model.candidate_tower(catalogue).numpy().T
    logits += model.movie_bias(catalogue[MOVIE_XF]).numpy().reshape(1, -1)
    top = logits.max(1, keepdims=True)
    return logits - top - np.log(np.exp(logits - top).sum(1, keepdims=True))


def _transform_request(out: tft.TFTransformOutput, request: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
    raw = {name: tf.reshape(request[name], [-1, 1]) for name in C.USER_INPUTS}
    raw[F.HISTORY_MOVIE_IDS] = tf.sparse.from_dense(request[F.HISTORY_MOVIE_IDS])
    raw[F.HISTORY_RATINGS] = tf.sparse.from_dense(request[F.HISTORY_RATINGS])
    return out.transform_features_layer()(raw)


def _user_inputs(n: int = 2, user_id: str = "1", history: tuple[str, ...] = ()) -> dict[str, tf.Tensor]:
    return {
        F.HISTORY_MOVIE_IDS: tf.constant([list(history)] * n, tf.string, shape=[n, len(history)]),
        F.HISTORY_RATINGS: tf.constant([[4.0] * len(history)] * n, tf.float32, shape=[n, len(history)]),
        F.USER_ID: tf.constant([user_id] * n),
        F.USER_GENDER: tf.constant(["F"] * n),
        F.BUCKETIZED_USER_AGE: tf.constant([25] * n, tf.int64),
        F.USER_OCCUPATION_LABEL: tf.constant([12] * n, tf.int64),
        F.USER_OCCUPATION_TEXT: tf.constant(["programmer"] * n),
        F.USER_ZIP_CODE: tf.constant(["94110"] * n),
        F.TIMESTAMP: tf.constant([978300760] * n, tf.int64),
    }


def test_signature_names_inputs_and_outputs(multitask_export):
    _, args, config, _ = multitask_export
    loaded = tf.saved_model.load(args.serving_model_dir)
    assert set(loaded.signatures) == {
        C.SERVING_DEFAULT,
        C.RETRIEVE_UNFILTERED,
        C.RANK,
        C.TF_EXAMPLE,
        C.TRANSFORM_FEATURES,
        C.MOVIES,
    }
    serving = loaded.signatures[C.SERVING_DEFAULT]
    inputs = serving.structured_input_signature[1]
    assert {k: v.dtype.name for k, v in inputs.items()} == {**C.USER_INPUTS, **C.HISTORY_INPUTS}
    assert inputs[F.HISTORY_MOVIE_IDS].shape.as_list() == [None, None]
    outputs = serving.structured_outputs
    assert set(outputs) == {C.MOVIE_IDS, C.SCORES}
    assert outputs[C.MOVIE_IDS].dtype == tf.string and outputs[C.SCORES].dtype == tf.float32
    rank_inputs = loaded.signatures[C.RANK].structured_input_signature[1]
    assert set(rank_inputs) == set(C.USER_INPUTS) | set(C.HISTORY_INPUTS) | set(C.MOVIE_INPUTS)
    assert set(loaded.signatures[C.TF_EXAMPLE].structured_input_signature[1]) == {C.EXAMPLES_INPUT}

    result = serving(**_user_inputs(user_id="a-user-never-seen"))  # out-of-vocabulary path
    assert result[C.MOVIE_IDS].shape == (2, config.top_k)
    first_movie = result[C.MOVIE_IDS][0, 0].numpy().decode()
    rated = loaded.signatures[C.RANK](**_user_inputs(), **{F.MOVIE_ID: tf.constant([first_movie] * 2)})
    assert rated[C.PREDICTED_RATING].shape == (2,)
    with pytest.raises(tf.errors.InvalidArgumentError, match="unknown movie_id"):
        loaded.signatures[C.RANK](**_user_inputs(), **{F.MOVIE_ID: tf.constant(["no-such-movie"] * 2)})


def test_retrieval_excludes_the_history_and_the_unfiltered_signature_does_not(transformed, multitask_export):
    _, args, config, _ = multitask_export
    loaded = tf.saved_model.load(args.serving_model_dir)
    unfiltered = loaded.signatures[C.RETRIEVE_UNFILTERED](**_user_inputs(n=1))
    top = [m.decode() for m in unfiltered[C.MOVIE_IDS][0].numpy()]
    # the history: the unfiltered top 3, an unknown id and padding ("" in the middle is skipped)
    history = (top[0], "", top[1], "no-such-movie", top[2])
    filtered = loaded.signatures[C.SERVING_DEFAULT](**_user_inputs(n=1, history=history))
    shown = [m.decode() for m in filtered[C.MOVIE_IDS][0].numpy()]
    assert len(shown) == config.top_k and not set(shown) & set(top[:3])
    again = loaded.signatures[C.RETRIEVE_UNFILTERED](**_user_inputs(n=1, history=history))
    assert len({m.decode() for m in again[C.MOVIE_IDS][0].numpy()} & set(top[:3])) >= 1  # not excluded
    # an empty history (a new user) and any width of history are accepted
    for width in (0, 1, 200):
        ids = (top * 100)[:width]
        result = loaded.signatures[C.SERVING_DEFAULT](**_user_inputs(n=2, history=tuple(ids)))
        assert result[C.MOVIE_IDS].shape == (2, config.top_k)


def test_history_changes_the_recommendations(transformed, multitask_export):
    _, args, _, _ = multitask_export
    loaded = tf.saved_model.load(args.serving_model_dir)
    catalogue = sorted(m[F.MOVIE_ID] for m in read_catalogue(transformed.catalogue))
    a = loaded.signatures[C.RETRIEVE_UNFILTERED](**_user_inputs(n=1, history=tuple(catalogue[:5])))
    b = loaded.signatures[C.RETRIEVE_UNFILTERED](**_user_inputs(n=1, history=tuple(catalogue[-5:])))
    assert not np.allclose(a[C.SCORES].numpy(), b[C.SCORES].numpy())


def test_movies_signature_gives_the_catalogue_entries(transformed, multitask_export):
    _, args, _, _ = multitask_export
    loaded = tf.saved_model.load(args.serving_model_dir)
    catalogue = {m[F.MOVIE_ID]: m for m in read_catalogue(transformed.catalogue)}
    ids = sorted(catalogue)[:3]
    info = loaded.signatures[C.MOVIES](**{F.MOVIE_ID: tf.constant(ids)})
    for i, movie_id in enumerate(ids):
        movie = catalogue[movie_id]
        assert info[C.MOVIE_TITLE][i].numpy().decode() == movie[F.MOVIE_TITLE]
        assert info[C.MOVIE_YEAR][i].numpy() == movie[F.MOVIE_YEAR]
        assert info[C.MOVIE_GENRES][i].numpy().decode().split("|") == [F.GENRES[g] for g in movie[F.MOVIE_GENRES]]
    # each movie's candidate-tower embedding: the catalogue row retrieval scores against
    vectors, table = info[C.MOVIE_EMBEDDING].numpy(), loaded.embeddings.numpy()
    assert vectors.shape == (3, 16)
    rows = [int(np.argmin(np.abs(table - v).sum(axis=1))) for v in vectors]
    assert len(set(rows)) == 3 and np.allclose(vectors, table[rows])
    with pytest.raises(tf.errors.InvalidArgumentError, match="unknown movie_id"):
        loaded.signatures[C.MOVIES](**{F.MOVIE_ID: tf.constant(["no-such-movie"])})


def test_run_fn_writes_the_model_and_its_history(transformed, tmp_path):
    args = fn_args(
        transformed,
        tmp_path,
        ModelConfig(kind="ranking", embedding_dim=8, epochs=1, evaluate_after_training=True).to_dict(),
    )
    run_fn(args)
    history = json.loads((tmp_path / "run" / HISTORY_FILE).read_text())
    assert history["config"]["kind"] == "ranking" and len(history["epoch_seconds"]) == 1
    assert "val_rmse" in history["history"]
    loaded = tf.saved_model.load(args.serving_model_dir)
    assert set(loaded.signatures) == {C.SERVING_DEFAULT, C.TF_EXAMPLE, C.TRANSFORM_FEATURES, C.MOVIES}


@pytest.mark.parametrize("loss", ["softmax", "hinge"])
def test_a_list_loss_trains_and_exports_a_ranking_score(transformed, tmp_path, loss):
    config = ModelConfig(
        kind="ranking", embedding_dim=16, epochs=6, batch_size=120, optimizer="adam", learning_rate=0.01,
        ranking_loss=loss, list_length=6, lists_per_user=4,
    )  # fmt: skip
    args = fn_args(transformed, tmp_path, config.to_dict())
    _, record = train(config, args)
    losses = record["history"]["loss"]
    assert losses[-1] < losses[0], losses
    loaded = tf.saved_model.load(args.serving_model_dir)
    scores = loaded.signatures[C.TF_EXAMPLE](examples=_raw_eval_examples(transformed))[C.PREDICTED_RATING]
    assert scores.shape == (64,) and np.isfinite(scores.numpy()).all()
