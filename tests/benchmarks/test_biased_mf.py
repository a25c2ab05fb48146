"""The biased matrix factorisation baseline of the ranking benchmark."""

from __future__ import annotations

import numpy as np

from benchmarks import biased_mf


def _low_rank_ratings(seed: int = 0):
    rng = np.random.default_rng(seed)
    users, items, dim = 120, 80, 3
    truth = 3.5 + rng.normal(0, 0.3, (users, 1)) + rng.normal(0, 0.3, (1, items))
    truth = truth + rng.normal(0, 0.5, (users, dim)) @ rng.normal(0, 0.5, (dim, items))
    u, i = np.nonzero(rng.random((users, items)) < 0.4)
    r = truth[u, i] + rng.normal(0, 0.1, len(u))
    return u, i, r, users, items


def test_it_fits_low_rank_ratings_far_better_than_the_mean():
    u, i, r, users, items = _low_rank_ratings()
    test = np.arange(len(r)) % 5 == 0
    model = biased_mf.fit(u[~test], i[~test], r[~test], users, items, dim=3, l2=1.0, iterations=15)
    mean_only = float(np.sqrt(np.mean((r[test] - r[~test].mean()) ** 2)))
    assert biased_mf.rmse(model, u[test], i[test], r[test]) < 0.5 * mean_only


def test_predictions_are_mean_plus_biases_plus_the_dot_product():
    model = biased_mf.BiasedMF(
        mean=3.0,
        user_bias=np.array([0.5, -0.5]),
        item_bias=np.array([0.25, 0.0]),
        users=np.array([[1.0, 0.0], [0.0, 2.0]]),
        items=np.array([[0.5, 0.5], [1.0, -1.0]]),
    )
    np.testing.assert_allclose(
        model.predict(np.array([0, 1]), np.array([0, 1])), [3.0 + 0.5 + 0.25 + 0.5, 3.0 - 0.5 - 2.0]
    )
    # RMSE clips predictions to the 1-5 stars: 0.5 (clipped to 1) against 1 is no error
    assert biased_mf.rmse(model, np.array([1]), np.array([1]), np.array([1.0])) == 0.0
