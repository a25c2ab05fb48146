"""The `movierec` command line."""
