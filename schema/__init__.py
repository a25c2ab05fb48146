"""The curated schema (schema.pbtxt) and helpers to read and show it without importing TFX."""
