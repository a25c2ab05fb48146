"""Quick model iteration on a pipeline run's Transform output (never on the eval split).

    .venv/bin/python benchmarks/quick_harness.py --work-dir WORK --kind ranking --set dropout=0.3 --epochs 5

Loads the train split of the latest run in WORK once (transformed by its Transform graph), holds out every 8th example
as a validation slice, trains the trainer's own model (trainer/models.py) on the rest with a
full in-memory shuffle, and prints the validation loss and RMSE after each epoch.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline import env

env.setup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--kind", default="ranking")
    parser.add_argument("--preset", choices=["sample", "movielens"], default="movielens")
    parser.add_argument("--set", action="append", default=[], help="ModelConfig field=JSON value")
    parser.add_argument("--epochs", type=int, default=None)
    args = parser.parse_args()

    import dataclasses

    import numpy as np
    import tensorflow as tf
    import tensorflow_transform as tft

    from pipeline.config import default_models, movielens_models
    from trainer.data import catalogue_tensors, in_memory_dataset, load_split, rows_by_vocabulary_index
    from trainer.models import MOVIE_XF, MovieModel, make_optimizer
    from trainer.towers import vocab_sizes
    from transform import features as F

    root = f"{args.work_dir}/pipeline_root"
    tft_output = tft.TFTransformOutput(sorted(glob.glob(f"{root}/Transform/transform_graph/*"))[-1])
    examples = sorted(glob.glob(f"{root}/MovieLensExampleGen/examples/*"))[-1]
    catalogue_uri = sorted(glob.glob(f"{root}/MovieLensExampleGen/catalogue/*"))[-1]
    config = {m.kind: m for m in (movielens_models() if args.preset == "movielens" else default_models())}[args.kind]
    changes = {k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)}
    config = dataclasses.replace(config, **changes, **({"epochs": args.epochs} if args.epochs else {}))
    print(config, flush=True)

    data = load_split([f"{examples}/Split-train/*"], tft_output)
    n = len(data[F.USER_RATING])
    held = np.arange(n) % 8 == 0
    train = {k: v[~held] for k, v in data.items()}
    valid = {k: v[held] for k, v in data.items()}
    print(f"{(~held).sum()} train / {held.sum()} validation examples", flush=True)

    tf.keras.utils.set_random_seed(config.seed)
    sizes = vocab_sizes(tft_output)
    catalogue = catalogue_tensors(catalogue_uri, tft_output)
    rows = rows_by_vocabulary_index(catalogue[MOVIE_XF], sizes[F.MOVIE_ID])
    model = MovieModel(
        config, sizes, catalogue=catalogue, rows_by_index=rows, global_mean=float(train[F.USER_RATING].mean())
    )
    model.compile(optimizer=make_optimizer(config))
    train_ds = in_memory_dataset(train, config.batch_size, seed=config.seed)
    valid_ds = tf.data.Dataset.from_tensor_slices(valid).batch(4096)
    for epoch in range(config.epochs):
        started = time.perf_counter()
        model.fit(train_ds, epochs=1, verbose=0)
        result = model.evaluate(valid_ds, return_dict=True, verbose=0)
        shown = {k: round(v, 4) for k, v in result.items() if "loss" in k or "rmse" in k}
        print(f"epoch {epoch + 1}: {time.perf_counter() - started:.0f} s, validation {shown}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
