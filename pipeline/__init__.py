"""The movierec TFX pipeline: configuration, definition and runners."""
