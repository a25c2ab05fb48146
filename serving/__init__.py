"""TF Serving client and local model server: see issue 4."""
