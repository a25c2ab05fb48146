"""Component ids of the pipeline (light module: the CLI reads outputs by these ids)."""

EXAMPLE_GEN = "MovieLensExampleGen"
STATISTICS_GEN = "StatisticsGen"
SCHEMA_GEN = "SchemaGen"
IMPORT_SCHEMA_GEN = "ImportSchemaGen"
EXAMPLE_VALIDATOR = "ExampleValidator"
ANOMALY_GATE = "AnomalyGate"
TRANSFORM = "Transform"
EXPLORATION_REPORT = "ExplorationReport"
TUNED_MODEL = "ranking"  # `movierec run --tune` puts a Tuner before this model's Trainer


def trainer_id(kind: str) -> str:
    return f"{kind.capitalize()}Trainer"


def evaluator_id(kind: str) -> str:
    return f"{kind.capitalize()}Evaluator"


def pusher_id(kind: str) -> str:
    return f"{kind.capitalize()}Pusher"


def tuner_id(kind: str) -> str:
    return f"{kind.capitalize()}Tuner"


def resolver_id(kind: str) -> str:
    return f"{kind.capitalize()}LatestBlessedModel"


# ML Metadata type names of the catalogue and the exploration report (defined with the artifacts).
from components.artifact_types import CATALOGUE_TYPE, REPORT_TYPE  # noqa: E402, F401
