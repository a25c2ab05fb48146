"""Light CLI paths answer without importing TFX or TensorFlow."""

import subprocess
import sys

import pytest

from cli.main import build_parser, config_from_args
from schema import show
from transform import features as F

PROBE = (
    "import sys\n"
    "from cli.main import main\n"
    "code = main(sys.argv[1:])\n"
    "heavy = sorted(m for m in ('tfx', 'tensorflow', 'apache_beam') if m in sys.modules)\n"
    "print('HEAVY=' + ','.join(heavy))\n"
    "sys.exit(code)\n"
)


@pytest.mark.parametrize(
    "argv",
    [["schema", "show"], ["anomalies", "--work-dir", "/nonexistent"], ["serve", "--serving-dir", "/nonexistent"]],
)
def test_light_commands_do_not_import_tfx(argv):
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=60)
    assert "HEAVY=\n" in proc.stdout, proc.stdout + proc.stderr


def test_help_lists_commands():
    proc = subprocess.run([sys.executable, "-m", "cli.main", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for command in ("generate", "download", "run", "schema", "anomalies", "serve", "query", "serving-config"):
        assert command in proc.stdout


def test_schema_show_lists_every_curated_feature_with_domains():
    table = {r["feature"]: r for r in show.rows(show.load())}
    assert set(table) == set(F.ALL_FEATURES)
    assert table[F.USER_RATING]["domain"] == "float [1, 5]"
    assert table[F.USER_RATING]["environments"] == "not in SERVING"
    assert table[F.MOVIE_GENRES]["domain"] == "int [0, 20]"
    assert table[F.USER_OCCUPATION_LABEL]["domain"] == "int [0, 21]"
    assert table[F.USER_GENDER]["domain"] == "{F, M}"
    assert table[F.DIRECTOR]["presence"] == "optional"
    assert "user_rating" in show.render(list(table.values()))


def test_schema_show_names_a_broken_file(tmp_path):
    bad = tmp_path / "s.pbtxt"
    bad.write_text("feature { name: 'x' type: NOPE }")
    with pytest.raises(ValueError, match=r"s\.pbtxt: not a valid schema"):
        show.load(bad)


def test_run_flags_become_one_config():
    args = build_parser().parse_args(
        [
            "run",
            "--data-dir",
            "d",
            "--split",
            "temporal",
            "--skip-bad-lines",
            "--no-halt-on-anomalies",
            "--infer-schema",
            "--work-dir",
            "w",
        ]
    )
    config = config_from_args(args)
    assert config.data.split == "temporal" and config.data.on_bad_line == "skip"
    assert config.schema_path is None and config.curated_schema is None
    assert not config.halt_on_anomalies
    assert config.pipeline_root == "w/pipeline_root" and config.metadata_path == "w/metadata.sqlite"
