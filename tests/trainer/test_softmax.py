"""The catalogue softmax's cross-entropy: TF's values and gradients, within float error."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from trainer.softmax import softmax_cross_entropy


def test_softmax_cross_entropy_matches_tensorflow_in_value_and_gradient():
    rng = np.random.default_rng(0)
    logits = tf.constant(rng.normal(0, 4, (7, 50)).astype(np.float32))
    labels = tf.constant(rng.integers(0, 50, 7))
    weights = tf.constant(rng.uniform(0, 2, 7).astype(np.float32))  # a non-uniform upstream gradient
    results = []
    for loss_fn in (softmax_cross_entropy, lambda x, y: tf.nn.sparse_softmax_cross_entropy_with_logits(y, x)):
        with tf.GradientTape() as tape:
            tape.watch(logits)
            losses = loss_fn(logits, labels)
            total = tf.reduce_sum(losses * weights)
        results.append((losses.numpy(), tape.gradient(total, logits).numpy()))
    (ours, our_gradient), (theirs, their_gradient) = results
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(our_gradient, their_gradient, rtol=1e-5, atol=1e-6)
    assert np.isfinite(softmax_cross_entropy(logits * 1e4, labels).numpy()).all()  # large logits stay finite
