"""Custom TFX components of the movierec pipeline."""
