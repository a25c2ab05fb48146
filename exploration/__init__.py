"""The exploration report: the report's EDA as one self-contained HTML page, figures and tables."""
