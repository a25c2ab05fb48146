"""ML Metadata type names of this project's artifacts (light: no TFX import, for readers of ML
Metadata such as the CLI). KFP v2 needs "<namespace>.<Name>"."""

CATALOGUE_TYPE = "movierec.MovieCatalogue"
REPORT_TYPE = "movierec.ExplorationReport"
