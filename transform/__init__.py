"""Feature contract and preprocessing shared by every model."""
