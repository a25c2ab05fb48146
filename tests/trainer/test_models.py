"""Model unit tests on a real Transform output: shapes, learning, export/reload, signatures."""

from __future__ import annotations

import glob
import json

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform as tft

from components.movielens_example_gen.catalogue import read_catalogue
from serving import contract as C
from tests.model_data import fn_args
from trainer.config import ModelConfig
from trainer.data import catalogue_dataset, input_fn
from trainer.models import MovieModel, make_optimizer
from trainer.run import HISTORY_FILE, run_fn, train
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
    model = MovieModel(config, vocab_sizes(out))
    batch = next(
        iter(
            input_fn(
                [f"{transformed.transformed_examples}/Split-train/*"],
                fn_args(transformed, tmp_path, {}).data_accessor,
                out,
                batch_size=32,
            )
        )
    )
    result = model(batch)
    assert result["query"].shape == (32, 16) and result["candidate"].shape == (32, 16)
    assert result["rating"].shape == (32,)


# Retrieval's in-batch softmax has a high floor on a 40-movie catalogue: a smaller drop is asked.
@pytest.mark.parametrize(("kind", "factor"), [("ranking", 0.85), ("retrieval", 0.97)])
def test_a_few_epochs_reduce_the_loss(transformed, tmp_path, kind, factor):
    tf.keras.utils.set_random_seed(1)
    out = tft.TFTransformOutput(transformed.transform_graph)
    config = ModelConfig(kind=kind, embedding_dim=16, batch_size=128, optimizer="adam", learning_rate=0.02)
    args = fn_args(transformed, tmp_path, config.to_dict())
    data = input_fn(args.train_files, args.data_accessor, out, config.batch_size, shuffle=False)
    model = MovieModel(config, vocab_sizes(out))
    model.compile(optimizer=make_optimizer(config))
    before = model.evaluate(data, return_dict=True, verbose=0)["loss"]
    model.fit(data, epochs=10, verbose=0)
    after = model.evaluate(data, return_dict=True, verbose=0)["loss"]
    assert after < before * factor, (before, after)


@pytest.fixture(scope="module")
def multitask_export(transformed, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("multitask")
    config = ModelConfig(
        kind="multitask", embedding_dim=16, epochs=2, batch_size=128, optimizer="adam", learning_rate=0.01, top_k=10
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

    # retrieval: the index's top K equals a brute-force ranking of the in-memory catalogue embeddings
    catalogue = catalogue_dataset(transformed.catalogue, out)
    ids = np.concatenate([b["movie_id_raw"].numpy() for b in catalogue])
    vectors = np.concatenate([model.candidate_tower(b).numpy() for b in catalogue])
    scores = in_memory["query"].numpy() @ vectors.T
    expected = ids[np.argsort(-scores, axis=1)[:, : config.top_k]]
    np.testing.assert_array_equal(from_disk[C.MOVIE_IDS].numpy(), expected)
    np.testing.assert_allclose(
        from_disk[C.SCORES].numpy(), np.sort(scores, axis=1)[:, ::-1][:, : config.top_k], rtol=1e-4, atol=1e-5
    )


def _user_inputs(n: int = 2, user_id: str = "1") -> dict[str, tf.Tensor]:
    return {
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
    assert set(loaded.signatures) == {C.SERVING_DEFAULT, C.RANK, C.TF_EXAMPLE, C.TRANSFORM_FEATURES, C.MOVIES}
    serving = loaded.signatures[C.SERVING_DEFAULT]
    inputs = serving.structured_input_signature[1]
    assert {k: v.dtype.name for k, v in inputs.items()} == C.USER_INPUTS
    outputs = serving.structured_outputs
    assert set(outputs) == {C.MOVIE_IDS, C.SCORES}
    assert outputs[C.MOVIE_IDS].dtype == tf.string and outputs[C.SCORES].dtype == tf.float32
    rank_inputs = loaded.signatures[C.RANK].structured_input_signature[1]
    assert set(rank_inputs) == set(C.USER_INPUTS) | set(C.MOVIE_INPUTS)
    assert set(loaded.signatures[C.TF_EXAMPLE].structured_input_signature[1]) == {C.EXAMPLES_INPUT}

    result = serving(**_user_inputs(user_id="a-user-never-seen"))  # out-of-vocabulary path
    assert result[C.MOVIE_IDS].shape == (2, config.top_k)
    first_movie = result[C.MOVIE_IDS][0, 0].numpy().decode()
    rated = loaded.signatures[C.RANK](**_user_inputs(), **{F.MOVIE_ID: tf.constant([first_movie] * 2)})
    assert rated[C.PREDICTED_RATING].shape == (2,)
    with pytest.raises(tf.errors.InvalidArgumentError, match="unknown movie_id"):
        loaded.signatures[C.RANK](**_user_inputs(), **{F.MOVIE_ID: tf.constant(["no-such-movie"] * 2)})


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
    with pytest.raises(tf.errors.InvalidArgumentError, match="unknown movie_id"):
        loaded.signatures[C.MOVIES](**{F.MOVIE_ID: tf.constant(["no-such-movie"])})


def test_run_fn_writes_the_model_and_its_history(transformed, tmp_path):
    args = fn_args(transformed, tmp_path, ModelConfig(kind="ranking", embedding_dim=8, epochs=1).to_dict())
    run_fn(args)
    history = json.loads((tmp_path / "run" / HISTORY_FILE).read_text())
    assert history["config"]["kind"] == "ranking" and len(history["epoch_seconds"]) == 1
    assert "val_rmse" in history["history"]
    loaded = tf.saved_model.load(args.serving_model_dir)
    assert set(loaded.signatures) == {C.SERVING_DEFAULT, C.TF_EXAMPLE, C.TRANSFORM_FEATURES, C.MOVIES}
