"""The trainers' in-memory epochs: every row once per epoch, a new order each epoch, seeded."""

from __future__ import annotations

import numpy as np

from trainer.data import in_memory_dataset


def _epochs(dataset, n: int) -> list[np.ndarray]:
    return [np.concatenate([batch["row"].numpy() for batch in dataset]) for _ in range(n)]


def test_every_row_once_per_epoch_in_a_new_order():
    arrays = {"row": np.arange(1000), "value": np.arange(1000, dtype=np.float32) * 2}
    dataset = in_memory_dataset(arrays, batch_size=64, seed=3)
    first, second = _epochs(dataset, 2)
    assert sorted(first) == list(range(1000)) and sorted(second) == list(range(1000))
    assert not np.array_equal(first, second)  # reshuffled every epoch
    batch = next(iter(dataset))
    np.testing.assert_array_equal(batch["value"].numpy(), batch["row"].numpy() * 2)  # rows stay whole
    again = _epochs(in_memory_dataset(arrays, batch_size=64, seed=3), 2)
    np.testing.assert_array_equal(again[0], first)  # the same seed, the same epochs
    np.testing.assert_array_equal(again[1], second)


def test_unshuffled_keeps_the_order():
    arrays = {"row": np.arange(10)}
    (only,) = _epochs(in_memory_dataset(arrays, batch_size=4, shuffle=False), 1)
    np.testing.assert_array_equal(only, np.arange(10))


def test_epochs_end_without_waiting_for_tf_data_autotuning():
    # with autotuning on, deleting an epoch's iterator waits for the autotune thread's sleep
    dataset = in_memory_dataset({"row": np.arange(10)}, batch_size=4)
    assert dataset.options().autotune.enabled is False
