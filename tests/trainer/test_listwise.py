"""Listwise ranking: the losses against hand-computed values, list sampling, list metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

from trainer import listwise


def _loss(loss: tf.keras.losses.Loss, labels, scores) -> float:
    return float(loss(tf.constant([labels], tf.float32), tf.constant([scores], tf.float32)))


def test_softmax_loss_by_hand():
    # stars 3 and 1 (and a padded item that the highest score must not help): p = (3/4, 1/4)
    got = _loss(listwise.ListwiseSoftmaxLoss(), [3.0, 1.0, 0.0], [1.0, 0.0, 5.0])
    log_z = math.log(math.e + 1.0)
    assert got == pytest.approx(-(0.75 * (1.0 - log_z) + 0.25 * (0.0 - log_z)), rel=1e-5)  # 0.56326


def test_list_mle_by_hand():
    # ideal order by stars 3 > 2 > 1 is scores 1.0, 0.0, 0.5
    got = _loss(listwise.ListMLELoss(), [1.0, 3.0, 2.0], [0.5, 1.0, 0.0])
    expected = (math.log(math.exp(1.0) + math.exp(0.0) + math.exp(0.5)) - 1.0) + (
        math.log(math.exp(0.0) + math.exp(0.5)) - 0.0
    )  # the last item's term is log(e^0.5) - 0.5 = 0
    assert got == pytest.approx(expected, rel=1e-5)  # 1.65435
    # padding (0 stars) changes nothing
    assert _loss(listwise.ListMLELoss(), [1.0, 3.0, 2.0, 0.0], [0.5, 1.0, 0.0, 9.0]) == pytest.approx(
        expected, rel=1e-5
    )


def test_pairwise_hinge_by_hand():
    assert _loss(listwise.PairwiseHingeLoss(), [3.0, 1.0], [0.2, 0.0]) == pytest.approx(0.8)
    # equal stars make no pair; a well-separated pair costs nothing
    assert _loss(listwise.PairwiseHingeLoss(), [3.0, 3.0, 1.0], [5.0, 4.0, 0.0]) == pytest.approx(0.0)


def test_losses_fall_as_the_scores_follow_the_ratings():
    labels = [5.0, 4.0, 2.0, 1.0]
    for loss in (listwise.ListwiseSoftmaxLoss(), listwise.ListMLELoss(), listwise.PairwiseHingeLoss()):
        assert _loss(loss, labels, [3.0, 2.0, 1.0, 0.0]) < _loss(loss, labels, [0.0, 1.0, 2.0, 3.0])


def test_lists_come_only_from_the_rows_given_and_never_from_eval():
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(20), 15)
    movies = np.concatenate([rng.permutation(100)[:15] for _ in range(20)])
    ratings = rng.integers(1, 6, len(users)).astype(np.float32)
    is_eval = rng.random(len(users)) < 0.2
    lists = listwise.sample_lists(users[~is_eval], movies[~is_eval], ratings[~is_eval], 5, 3, seed=1)
    assert lists["movie"].shape == (60, 5) and lists["rating"].shape == (60, 5) and len(lists["user"]) == 60
    train = {(u, m): r for u, m, r in zip(users[~is_eval], movies[~is_eval], ratings[~is_eval], strict=True)}
    evals = {(u, m) for u, m in zip(users[is_eval], movies[is_eval], strict=True)}
    for user, row, stars in zip(lists["user"], lists["movie"], lists["rating"], strict=True):
        assert len(set(row)) == 5  # distinct movies
        for movie, star in zip(row, stars, strict=True):
            assert (user, movie) not in evals and train[(user, movie)] == star


def test_short_histories_are_padded_and_single_ratings_dropped():
    users = np.array([1, 1, 1, 2])
    lists = listwise.sample_lists(users, np.array([10, 11, 12, 13]), np.array([5.0, 3.0, 1.0, 4.0]), 4, 2)
    assert list(lists["user"]) == [1, 1]  # user 2 has one rating: no list
    assert (lists["movie"][:, 3] == -1).all() and (lists["rating"][:, 3] == 0).all()
    assert sorted(lists["movie"][0, :3]) == [10, 11, 12]
    with pytest.raises(ValueError, match="list_length"):
        listwise.sample_lists(users, users, users.astype(float), 1, 1)


def test_ndcg_and_mrr_by_hand():
    ratings = np.array([[3.0, 5.0, 0.0]])
    scores = np.array([[0.9, 0.1, 5.0]])  # the padded item's high score is ignored
    dcg = 7.0 + 31.0 / math.log2(3)
    idcg = 31.0 + 7.0 / math.log2(3)
    assert listwise.ndcg_at_k(scores, ratings, 2) == pytest.approx(dcg / idcg)  # 0.7499
    assert listwise.ndcg_at_k(np.array([[0.1, 0.9, 0.0]]), ratings, 2) == pytest.approx(1.0)
    mrr = listwise.mrr(np.array([[0.9, 0.5, 0.1], [0.3, 0.2, 0.1]]), np.array([[3.0, 5.0, 4.0], [1.0, 2.0, 3.0]]))
    assert mrr == pytest.approx((1 / 2 + 0.0) / 2)


def test_sampled_list_rows_are_distinct_rows_of_one_user_padded_at_the_end() -> None:
    from trainer.listwise import sample_list_rows

    users = np.array([5] * 30 + [7] * 4 + [9] * 1)  # user 9: one row, no list
    rows = sample_list_rows(users, list_length=6, lists_per_user=3, rng=np.random.default_rng(0))
    assert rows.shape == (6, 6)
    for row in rows:
        kept = row[row >= 0]
        assert len(set(kept)) == len(kept) and len(set(users[kept])) == 1
        assert (row[len(kept) :] == -1).all()  # padding only at the end
    assert sorted(len(r[r >= 0]) for r in rows) == [4, 4, 4, 6, 6, 6]
    assert len({tuple(r) for r in rows[users[rows[:, 0]] == 5]}) == 3  # independent draws


def test_list_batches_are_whole_lists_with_padding_rated_zero() -> None:
    from trainer.data import list_dataset, list_steps_per_epoch
    from transform import features as F

    user_key = F.transformed_name(F.USER_ID)
    users = np.repeat(np.arange(5), [8, 3, 1, 6, 2])
    arrays = {
        user_key: users.astype(np.int64),
        F.USER_RATING: np.arange(1, len(users) + 1, dtype=np.float32),  # unique: identifies the row
    }
    dataset = list_dataset(arrays, list_length=4, lists_per_user=2, batch_size=8, seed=1)
    steps = list_steps_per_epoch(users, 4, 2, 8)
    assert steps == 4  # 4 users with 2+ rows x 2 lists, 2 lists a batch
    seen = []
    for batch in dataset.take(steps):
        lists_users = batch[user_key].numpy().reshape(-1, 4)
        ratings = batch[F.USER_RATING].numpy().reshape(-1, 4)
        for u, r in zip(lists_users, ratings, strict=True):
            assert len(set(u)) == 1  # one user per list
            real = r[r > 0]
            assert (r[len(real) :] == 0).all() and len(set(real)) == len(real)
            assert set(users[(real - 1).astype(int)]) == {u[0]}
            seen.append(u[0])
    assert sorted(seen) == [0, 0, 1, 1, 3, 3, 4, 4]  # every user with a list, twice


def test_list_losses_need_the_towers_ranking_model() -> None:
    from trainer.config import ModelConfig

    config = ModelConfig(kind="ranking", ranking_loss="listmle")
    assert config.is_listwise and config.name == "listwise"
    assert ModelConfig(kind="ranking", ranking_loss="hinge").name == "pairwise"
    with pytest.raises(ValueError, match="list loss"):
        ModelConfig(kind="multitask", ranking_loss="softmax")
    with pytest.raises(ValueError, match="list loss"):
        ModelConfig(kind="ranking", architecture="dcn", ranking_loss="softmax")
    with pytest.raises(ValueError, match="ranking_loss"):
        ModelConfig(kind="ranking", ranking_loss="lambda")  # type: ignore[arg-type]
