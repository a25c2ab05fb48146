"""The trainers' in-memory epochs: every row once per epoch, a new order each epoch, seeded."""

from __future__ import annotations

import numpy as np

from trainer.data import in_memory_dataset, steps_per_epoch


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


def test_repeated_passes_are_whole_epochs_each_in_a_new_order():
    # fit(steps_per_epoch=...) reads every epoch from one endless iterator
    arrays = {"row": np.arange(10)}
    steps = steps_per_epoch(10, 4)
    iterator = iter(in_memory_dataset(arrays, batch_size=4, seed=5, repeat=True))
    epochs = [np.concatenate([next(iterator)["row"].numpy() for _ in range(steps)]) for _ in range(3)]
    assert steps == 3 and all(sorted(e) == list(range(10)) for e in epochs)
    assert not np.array_equal(epochs[0], epochs[1])


def test_in_memory_batches_have_no_autotune_thread_to_wait_for() -> None:
    arrays = {"x": np.arange(10, dtype=np.int64)}
    assert in_memory_dataset(arrays, batch_size=4, repeat=True).options().autotune.enabled is False
