"""Process set-up every entry point runs before TensorFlow is imported."""

from __future__ import annotations

import os
import warnings


def setup() -> None:
    """Keras 2 for TFT/TFRS, quiet TF C++ logs unless asked for."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    # Google client libraries warn about Python 3.10 on import; TFX 1.16 requires 3.10.
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
