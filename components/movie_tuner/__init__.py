"""TFX's Tuner with a tuning table."""
