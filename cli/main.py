"""`movierec`: generate/download data, run the pipeline, review schemas and anomalies, serve and query, explore.

Light commands (``--help``, ``schema show``, ``anomalies``) never import TFX or TensorFlow;
the heavy ones import them inside the command.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from cli import app_command, lineage_command, report_command, serving_commands
from pipeline import env, metadata_store, work_dir
from pipeline.config import CURATED_SCHEMA_PATH, DEFAULT_WORK_DIR, DataConfig, PipelineConfig, SampleConfig
from trainer.config import TuningConfig

env.setup()


def _add_work_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--work-dir",
        default=str(DEFAULT_WORK_DIR),
        help="where runs keep outputs, ML Metadata and logs (default: %(default)s; env MOVIEREC_WORK_DIR)",
    )
    parser.add_argument(
        "--metadata",
        default=None,
        metavar="mysql://USER@HOST:PORT/DB",
        help="ML Metadata in a MySQL/MariaDB database, password from $MOVIEREC_MYSQL_PASSWORD "
        "(default: metadata.sqlite in the work dir)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="movierec", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    _add_generate(sub)
    _add_download(sub)
    _add_run(sub)
    _add_schema(sub)
    _add_compile(sub)
    anomalies = sub.add_parser("anomalies", help="the latest run's anomalies; exit 1 when there are any")
    _add_work_dir(anomalies)
    serving_commands.add_parsers(sub)
    report_command.add_parser(sub)
    lineage_command.add_parser(sub, _add_work_dir)
    app_command.add_parser(sub)
    return parser


def _add_generate(sub) -> None:
    gen = sub.add_parser("generate", help="write a synthetic data set in the ml-1m format (+ TMDB files)")
    gen.add_argument("--output", required=True)
    defaults = SampleConfig()
    gen.add_argument("--users", type=int, default=defaults.users)
    gen.add_argument("--movies", type=int, default=defaults.movies)
    gen.add_argument("--ratings", type=int, default=defaults.ratings)
    gen.add_argument("--seed", type=int, default=defaults.seed)


def _add_download(sub) -> None:
    dl = sub.add_parser("download", help="fetch and verify a GroupLens MovieLens archive")
    dl.add_argument("name", choices=["ml-1m", "ml-100k"])
    dl.add_argument("--cache-dir", default=None, help="default: ~/.cache/movierec (env MOVIEREC_CACHE)")
    dl.add_argument("--url", default=None, help="a mirror of the official archive")
    dl.add_argument("--sha256", default=None, help="expected SHA-256 (default: the official archive's)")


def _add_run(sub) -> None:
    data = DataConfig()  # the defaults of every data flag
    run = sub.add_parser("run", help="run the pipeline with LocalDagRunner")
    _add_work_dir(run)
    run.add_argument("--data-dir", default=None, help="an ml-1m/ml-100k folder or zip (default: the synthetic sample)")
    run.add_argument(
        "--enrichment-dir",
        default=None,
        help="TMDB (links.csv, movies_metadata.csv, credits.csv) or extra-info files; "
        "default: looked for in the data dir and its tmdb/ folder",
    )
    run.add_argument("--split", choices=["random", "temporal"], default=data.split)
    run.add_argument("--eval-fraction", type=float, default=data.eval_fraction)
    run.add_argument("--seed", type=int, default=data.seed, help="seed of the random split")
    run.add_argument(
        "--skip-bad-lines",
        action="store_true",
        help="skip malformed input lines (listed in rejected.tsv) instead of failing",
    )
    run.add_argument(
        "--no-halt-on-anomalies",
        action="store_true",
        help="go on past ExampleValidator even when it found anomalies",
    )
    run.add_argument("--no-cache", action="store_true", help="rerun every component")
    run.add_argument(
        "--parallel",
        type=int,
        default=PipelineConfig.parallel_components,
        metavar="N",
        help="components run side by side, each in a worker process (default: %(default)s); "
        "1: TFX's LocalDagRunner, one at a time in this process",
    )
    run.add_argument(
        "--models",
        default="retrieval,ranking,multitask",
        help="comma-separated models to train (retrieval, ranking, multitask; dcn: DCN-v2 ranking; "
        "listwise / pairwise: ranking trained on per-user lists with a softmax / hinge loss), "
        "or 'none' for the data half only (default: %(default)s)",
    )
    run.add_argument(
        "--model-sizes",
        choices=["auto", "sample", "movielens"],
        default="auto",
        help="hyperparameters: the synthetic sample's (small, quick) or MovieLens' (pipeline/config.py); "
        "auto: the sample's without --data-dir, else MovieLens'",
    )
    tuning = TuningConfig()
    run.add_argument(
        "--tune",
        action="store_true",
        help="a Tuner (KerasTuner random search on a validation slice of the train split) before the ranking "
        "model's Trainer, which then trains with the best hyperparameters found",
    )
    run.add_argument(
        "--tune-trials", type=int, default=tuning.max_trials, help="the Tuner's trials, at most (default: %(default)s)"
    )
    run.add_argument(
        "--tune-seconds",
        type=float,
        default=tuning.max_seconds,
        help="no new trial starts after this many seconds (default: %(default)s)",
    )
    run.add_argument(
        "--history-length",
        type=int,
        default=data.history_length,
        help="the user's history on every example, at most (default: %(default)s)",
    )
    schema_group = run.add_mutually_exclusive_group()
    schema_group.add_argument("--schema", default=str(CURATED_SCHEMA_PATH), help="curated schema to validate against")
    schema_group.add_argument("--infer-schema", action="store_true", help="validate against the inferred schema")


def _add_schema(sub) -> None:
    schema = sub.add_parser("schema", help="review the schema")
    schema_sub = schema.add_subparsers(dest="schema_command", required=True)
    show = schema_sub.add_parser("show", help="print a schema as a table")
    show.add_argument("--schema", default=str(CURATED_SCHEMA_PATH))
    freeze = schema_sub.add_parser("freeze", help="write the latest run's inferred schema into schema/")
    _add_work_dir(freeze)
    freeze.add_argument("--output", default=str(CURATED_SCHEMA_PATH.parent / "inferred.pbtxt"))
    freeze.add_argument("--force", action="store_true", help="overwrite an existing file")


def _add_compile(sub) -> None:
    compile_ = sub.add_parser("compile", help="compile the pipeline for Kubeflow Pipelines (KFP v2 JSON)")
    compile_.add_argument("--target", choices=["kubeflow"], default="kubeflow")
    compile_.add_argument("--output", default="pipeline.json")
    compile_.add_argument("--image", default=None, help="container image built from deploy/Dockerfile")
    compile_.add_argument(
        "--pipeline-root",
        default="gs://YOUR_BUCKET/movierec",
        help="where the cluster keeps outputs (default: %(default)s)",
    )
    compile_.add_argument(
        "--data-dir",
        default="gs://YOUR_BUCKET/movielens/ml-1m",
        help="default of the data-dir runtime parameter (default: %(default)s)",
    )
    compile_.add_argument("--models", default="retrieval,ranking,multitask")


def cmd_generate(args: argparse.Namespace) -> int:
    from movielens.synthetic import SyntheticSpec, generate

    counts = generate(args.output, SyntheticSpec(args.users, args.movies, args.ratings, args.seed))
    print(
        f"wrote a SYNTHETIC data set (ml-1m format + tmdb/) to {args.output}: "
        f"{counts['users']} users, {counts['movies']} movies, {counts['ratings']} ratings"
    )
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    from movielens import download

    kwargs = {"url": args.url, "sha256": args.sha256}
    if args.cache_dir:
        kwargs["cache_dir"] = args.cache_dir
    try:
        path = download.download(args.name, **kwargs)
    except download.DownloadError as exc:
        print(f"movierec download: {exc}", file=sys.stderr)
        return 1
    print(path)
    print(f"run the pipeline on it: movierec run --data-dir {path}", file=sys.stderr)
    return 0


def config_from_args(args: argparse.Namespace) -> PipelineConfig:
    return PipelineConfig(
        work_dir=args.work_dir,
        metadata_uri=args.metadata,
        data=DataConfig(
            data_dir=args.data_dir,
            enrichment_dir=args.enrichment_dir,
            split=args.split,
            eval_fraction=args.eval_fraction,
            seed=args.seed,
            on_bad_line="skip" if args.skip_bad_lines else "error",
            history_length=args.history_length,
        ),
        schema_path=None if args.infer_schema else args.schema,
        halt_on_anomalies=not args.no_halt_on_anomalies,
        enable_cache=not args.no_cache,
        parallel_components=args.parallel,
        tuning=TuningConfig(max_trials=args.tune_trials, max_seconds=args.tune_seconds) if args.tune else None,
        models=select_models(
            args.models, sample=args.model_sizes == "sample" or (args.model_sizes == "auto" and args.data_dir is None)
        ),
    )


def select_models(names: str, sample: bool = False) -> tuple:
    """'retrieval,ranking' -> their ModelConfigs (the sample's, or MovieLens' sizes); 'none' -> no model."""
    from pipeline.config import default_models, movielens_models, optional_models

    if names.strip().lower() == "none":
        return ()
    defaults = {m.name: m for m in (*(default_models() if sample else movielens_models()), *optional_models(sample))}
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in defaults]
    if unknown:
        raise SystemExit(f"movierec run: unknown model(s) {', '.join(unknown)}; choose from {', '.join(defaults)}")
    return tuple(defaults[n] for n in wanted)


def cmd_run(args: argparse.Namespace) -> int:
    """Run the pipeline with fds 1 and 2 on the run's log: the console shows only our lines."""
    from pipeline import local_runner

    config = config_from_args(args)
    if args.schema and not args.infer_schema and not os.path.exists(args.schema):
        print(f"movierec run: {args.schema}: schema file not found", file=sys.stderr)
        return 2
    try:
        if config.metadata_uri:
            metadata_store.parse_mysql(config.metadata_uri)
            metadata_store.check_connection(config.metadata_uri)
        work_dir.check_writable(config.work_dir, config.min_free_bytes)
    except (ValueError, work_dir.WorkDirError, metadata_store.MetadataConnectionError) as e:
        print(f"movierec run: {e}", file=sys.stderr)
        return 2
    log_file = local_runner.new_log_file(config)
    # Before TensorFlow is imported: its C++ lines (cuFFT/cuDNN factories, oneDNN, TF-TRT, absl) go
    # straight to fd 2 at import time; Python warnings and library loggers follow fds 1 and 2 too.
    with env.output_to_log(log_file) as console:
        try:
            return _run_logged(config, log_file, console)
        except Exception as exc:
            import traceback

            text = traceback.format_exc()
            with contextlib.suppress(OSError), open(log_file, "a", encoding="utf-8") as log:
                log.write(text)  # after the lines that led to it (unless the disk is what failed)
            if isinstance(exc, work_dir.WorkDirError):  # another run holds the work dir: no traceback
                print(f"movierec run: {exc}", file=console.err, flush=True)
                return 2
            print(text.rstrip(), file=console.err)
            reason = work_dir.unwritable_path(exc) or f"{type(exc).__name__}: {exc}"
            print(f"\nmovierec run: {reason}\n(full log: {log_file})", file=console.err, flush=True)
            return 1


def _reported_failure(exc: Exception) -> bool:
    """Bad data or anomalies: the run stops with a message and still writes its views."""
    from movielens.errors import DataError

    gate = sys.modules.get("components.anomaly_gate.component")  # loaded with TFX, if the run got that far
    return isinstance(exc, DataError) or (gate is not None and isinstance(exc, gate.AnomaliesFoundError))


def _run_logged(config: PipelineConfig, log_file: str, console: env.Console) -> int:
    from pipeline import local_runner, run_summary, views

    failure = None
    try:
        result = local_runner.run(config, console.err, log_file=log_file)
    except Exception as exc:
        if not _reported_failure(exc):
            raise
        failure, result = exc, None
    written = views.write_views(config.metadata_path, config.views_dir, config.curated_schema)
    print(run_summary.outputs_table(config, written), file=console.out)
    if config.models:
        print(file=console.out)
        print(run_summary.models_table(config), file=console.out)
    console.out.flush()
    if failure is not None:
        print(f"\nmovierec run: {failure}\n(full log: {log_file})", file=console.err, flush=True)
        return 1
    assert result is not None
    print(f"\npipeline finished in {result.wall_seconds:.1f} s (log: {result.log_file})", file=console.out, flush=True)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from schema import show

    if args.schema_command == "show":
        try:
            print(f"schema: {args.schema}")
            print(show.render(show.rows(show.load(args.schema))))
        except (FileNotFoundError, ValueError) as exc:
            print(f"movierec schema show: {exc}", file=sys.stderr)
            return 2
        return 0
    from pipeline import outputs
    from pipeline.pipeline_ids import SCHEMA_GEN

    config = PipelineConfig(work_dir=args.work_dir, metadata_uri=args.metadata)
    ref = outputs.latest_artifact(config.metadata_path, "Schema", SCHEMA_GEN)
    if ref is None:
        print(
            f"movierec schema freeze: no inferred schema in {config.work_dir}; run `movierec run` first",
            file=sys.stderr,
        )
        return 2
    if os.path.exists(args.output) and not args.force:
        print(f"movierec schema freeze: {args.output} exists; pass --force to overwrite", file=sys.stderr)
        return 2
    source = os.path.join(ref.uri, "schema.pbtxt")
    with open(source, encoding="utf-8") as f:
        text = f.read()
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(f"# Inferred by SchemaGen ({source}); review before adopting it.\n{text}")
    print(f"wrote {args.output} (from {source})")
    return 0


def cmd_anomalies(args: argparse.Namespace) -> int:
    from pipeline import outputs
    from pipeline.pipeline_ids import EXAMPLE_VALIDATOR
    from schema import anomalies
    from schema.show import render

    config = PipelineConfig(work_dir=args.work_dir, metadata_uri=args.metadata)
    ref = outputs.latest_artifact(config.metadata_path, "ExampleAnomalies", EXAMPLE_VALIDATOR)
    if ref is None:
        print(
            f"movierec anomalies: no validation results in {config.work_dir}; run `movierec run` first",
            file=sys.stderr,
        )
        return 2
    found = anomalies.rows(anomalies.load(ref.uri))
    print(f"anomalies: {ref.uri}")
    if not found:
        print("no anomalies")
        return 0
    print(render(anomalies.as_table(found)))
    return 1


def cmd_compile(args: argparse.Namespace) -> int:
    from pipeline import kubeflow_runner

    config = kubeflow_runner.default_kubeflow_config(args.pipeline_root, args.data_dir).replace(
        models=select_models(args.models)
    )
    path = kubeflow_runner.compile_pipeline(config, args.output, image=args.image or kubeflow_runner.DEFAULT_IMAGE)
    print(f"wrote the Kubeflow Pipelines v2 spec to {path}")
    return 0


COMMANDS = {
    "generate": cmd_generate,
    "download": cmd_download,
    "run": cmd_run,
    "schema": cmd_schema,
    "anomalies": cmd_anomalies,
    "compile": cmd_compile,
    **serving_commands.COMMANDS,
    "report": report_command.cmd_report,
    "lineage": lineage_command.cmd_lineage,
    "app": app_command.cmd_app,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
