"""The Evaluator's TFMA extractors: same metrics as TFMA's defaults, features dropped before unbatching."""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_model_analysis as tfma

from components import tfma_extractors as X


def _config(*slicing_specs: tfma.SlicingSpec) -> tfma.EvalConfig:
    return tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(label_key="label", prediction_key="prediction")],
        slicing_specs=list(slicing_specs) or [tfma.SlicingSpec()],
        metrics_specs=[
            tfma.MetricsSpec(
                metrics=[tfma.MetricConfig(class_name="MeanSquaredError"), tfma.MetricConfig(class_name="ExampleCount")]
            )
        ],
    )


def _write(path: str, labels: np.ndarray, predictions: np.ndarray) -> None:
    with tf.io.TFRecordWriter(path) as writer:
        for i, (label, prediction) in enumerate(zip(labels, predictions, strict=True)):
            feature = {
                "label": tf.train.Feature(float_list=tf.train.FloatList(value=[label])),
                "prediction": tf.train.Feature(float_list=tf.train.FloatList(value=[prediction])),
                "history": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"m%d" % j for j in range(i % 7)])),
                "user": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"u%d" % (i % 20)])),
                "group": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"g%d" % (i % 3)])),
            }
            writer.write(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())


def test_the_features_kept_are_those_slices_and_query_metrics_read() -> None:
    assert X.needed_features(_config()) == frozenset()
    assert X.needed_features(_config(tfma.SlicingSpec(), tfma.SlicingSpec(feature_keys=["gender"]))) == {"gender"}
    by_query = _config()
    by_query.metrics_specs[0].query_key = "user_id"
    by_query.metrics_specs[0].metrics.add(class_name="NDCG", config='"gain_key": "stars"')
    assert X.needed_features(by_query) == {"user_id", "stars"}
    assert X.needed_features(_config(tfma.SlicingSpec(slice_keys_sql="SELECT 1"))) is None


def test_drop_stage_sits_just_before_unbatching_unless_a_sql_slice_may_read_anything() -> None:
    stages = [e.stage_name for e in X.custom_extractors(None, _config(), None)]
    assert stages[stages.index(X.DROP_STAGE) + 1] == X.UNBATCH_EXTRACTOR_STAGE_NAME
    sliced = [e.stage_name for e in X.custom_extractors(None, _config(tfma.SlicingSpec(feature_keys=["x"])), None)]
    assert X.DROP_STAGE in sliced
    sql = [e.stage_name for e in X.custom_extractors(None, _config(tfma.SlicingSpec(slice_keys_sql="SELECT 1")), None)]
    assert X.DROP_STAGE not in sql


def test_metrics_equal_tfma_defaults(tmp_path) -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(1, 6, 300).astype(np.float32)
    predictions = (labels + rng.normal(0, 0.7, 300)).astype(np.float32)
    data = str(tmp_path / "eval.tfrecord")
    _write(data, labels, predictions)
    config = _config()
    results = {}
    for name, extractors in (("default", None), ("lean", X.custom_extractors(None, config, None))):
        result = tfma.run_model_analysis(
            eval_config=config, data_location=data, output_path=str(tmp_path / name), extractors=extractors
        )
        ((_, metrics),) = result.slicing_metrics
        results[name] = metrics[""][""]
    expected = float(np.mean((labels - predictions) ** 2))
    assert abs(results["lean"]["mean_squared_error"]["doubleValue"] - expected) < 1e-5
    assert results["lean"] == results["default"]


def test_slices_and_query_metrics_equal_tfma_defaults(tmp_path) -> None:
    """With a feature slice and NDCG over each user's examples, only "group", "user" and "label"
    are kept: every slice's metrics are TFMA's own."""
    rng = np.random.default_rng(1)
    labels = rng.integers(1, 6, 300).astype(np.float32)
    predictions = (labels + rng.normal(0, 1.0, 300)).astype(np.float32)
    data = str(tmp_path / "eval.tfrecord")
    _write(data, labels, predictions)
    config = _config(tfma.SlicingSpec(), tfma.SlicingSpec(feature_keys=["group"]))
    config.metrics_specs.add(
        query_key="user",
        binarize=tfma.BinarizationOptions(top_k_list={"values": [3]}),
        metrics=[tfma.MetricConfig(class_name="NDCG", config='"gain_key": "label"')],
    )
    assert X.needed_features(config) == {"group", "user", "label"}
    results = {}
    for name, extractors in (("default", None), ("lean", X.custom_extractors(None, config, None))):
        result = tfma.run_model_analysis(
            eval_config=config, data_location=data, output_path=str(tmp_path / name), extractors=extractors
        )
        results[name] = {str(key): metrics for key, metrics in result.slicing_metrics}
    assert len(results["lean"]) == 4  # overall + 3 groups
    assert any("ndcg" in str(m) for m in results["lean"].values())
    assert results["lean"] == results["default"]
