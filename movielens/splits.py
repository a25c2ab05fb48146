"""Train/eval split assignment: a seeded random permutation, or the latest ratings by time."""

from __future__ import annotations

import numpy as np

TRAIN, EVAL = "train", "eval"
SPLIT_NAMES = (TRAIN, EVAL)


def random_eval_mask(num_lines: int, eval_fraction: float, seed: int) -> np.ndarray:
    """Boolean mask over 1-based line numbers (index 0 unused): True where the line is eval.

    The report's protocol: shuffle with a fixed seed, the first (1 - eval_fraction) of the
    permutation is train, the rest eval (``numpy.random.RandomState(seed).permutation``).
    """
    permutation = np.random.RandomState(seed).permutation(num_lines)
    n_train = int(num_lines * (1.0 - eval_fraction))
    mask = np.zeros(num_lines + 1, dtype=bool)
    mask[permutation[n_train:] + 1] = True
    return mask


def temporal_key(timestamp: int, line: int) -> int:
    """A total order on ratings: by timestamp, ties broken by file line."""
    return timestamp * 100_000_000 + line


def temporal_cutoff(keys: list[int], eval_fraction: float) -> int:
    """The smallest key that is eval: the latest ``eval_fraction`` of ratings by time are eval."""
    if not keys:
        return 0
    arr = np.asarray(keys, dtype=np.int64)
    n_train = int(len(arr) * (1.0 - eval_fraction))
    if n_train >= len(arr):
        return int(arr.max()) + 1
    return int(np.partition(arr, n_train)[n_train])
