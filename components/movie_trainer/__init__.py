"""MovieTrainer: TFX's Trainer with the movie catalogue as an extra input artifact."""
