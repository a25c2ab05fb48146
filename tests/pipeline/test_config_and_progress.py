import io
import logging

import pytest

from pipeline.config import DataConfig, PipelineConfig
from pipeline.fingerprint import fingerprint
from pipeline.progress import ComponentProgress


def test_config_validates_values():
    with pytest.raises(ValueError, match="split"):
        DataConfig(split="weekly")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="eval_fraction"):
        DataConfig(eval_fraction=1.5)
    assert PipelineConfig(schema_path="/nonexistent.pbtxt").curated_schema is None


def test_fingerprint_changes_with_the_files(tmp_path):
    (tmp_path / "ratings.dat").write_text("1::1::5::1\n")
    before = fingerprint(str(tmp_path))
    assert fingerprint(str(tmp_path)) == before
    (tmp_path / "ratings.dat").write_text("1::1::5::1\n2::1::5::1\n")
    assert fingerprint(str(tmp_path)) != before


def test_progress_prints_a_line_per_component_with_durations():
    out = io.StringIO()
    log = logging.getLogger("absl")
    log.setLevel(logging.INFO)
    with ComponentProgress(out) as progress:
        log.info("Component %s is running.", "StatisticsGen")
        log.info("A cached execution %d is used.", 3)
        log.info("Component %s is finished.", "StatisticsGen")
        log.info("Component %s is running.", "SchemaGen")
    text = out.getvalue()
    assert "▶ StatisticsGen started" in text
    assert "✔ StatisticsGen finished in" in text and "(cached)" in text
    assert set(progress.durations) == {"StatisticsGen"}
    assert progress.current == "SchemaGen"
