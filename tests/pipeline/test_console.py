"""The console of `movierec run`: TensorFlow's C++/Python noise goes to the run's log, our lines stay.

The redirect works on file descriptors, so most checks run a child Python whose fds 1 and 2 are
pipes the test reads: exactly what a user's terminal would have received.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pipeline import env
from pipeline.progress import ComponentProgress, format_elapsed

ROOT = Path(__file__).resolve().parents[2]

NOISY_CHILD = textwrap.dedent(
    """
    import logging, os, subprocess, sys
    from pipeline import env
    env.setup()
    from absl import logging as absl_logging

    print("before the run", flush=True)
    with env.output_to_log(sys.argv[1]) as console:
        os.write(2, b"E external/local_xla/xla/stream_executor/cuda/cuda_fft.cc:479] fake cuFFT line\\n")
        os.write(1, b"fd1 noise\\n")
        print("python stdout noise")
        print("python stderr noise", file=sys.stderr)
        subprocess.run([sys.executable, "-c", "import os; os.write(2, b'child process noise\\\\n')"], check=True)
        if sys.argv[2] == "tf":
            import tensorflow as tf  # writes cuFFT/cuDNN/cuBLAS factory lines to fd 2 at import
            tf.get_logger().warning("tf python warning")
        absl_logging.warning("[movierec] retrieval: epoch 1/2 in 1.5 s: loss=3.1416")
        absl_logging.warning("a library's absl warning")
        logging.getLogger("apache_beam.runners").error("a library's error")
        logging.getLogger("pipeline.something").warning("our own warning")
        print("[movierec] ▶ Transform started", file=console.err, flush=True)
        print("the outputs table", file=console.out, flush=True)
    print("stderr after the run", file=sys.stderr, flush=True)
    os.write(2, b"fd2 after the run\\n")
    """
)


def _run_child(code: str, *args: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "0"}
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, env=environ, timeout=240
    )


@pytest.mark.parametrize("tf", ["tf", "no-tf"])
def test_noise_goes_to_the_log_and_our_lines_to_the_console(tmp_path, tf):
    log = tmp_path / "logs" / "run.log"
    proc = _run_child(NOISY_CHILD, str(log), tf)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["before the run", "the outputs table"]
    assert proc.stderr.splitlines() == [
        "[movierec] retrieval: epoch 1/2 in 1.5 s: loss=3.1416",
        "[movierec] warning: our own warning",
        "[movierec] ▶ Transform started",
        "stderr after the run",
        "fd2 after the run",
    ], proc.stderr
    text = log.read_text()
    for noise in (
        "fake cuFFT line",
        "fd1 noise",
        "python stdout noise",
        "python stderr noise",
        "child process noise",
        "a library's absl warning",
        "a library's error",
        "[movierec] retrieval: epoch 1/2",  # the log keeps our lines too
    ):
        assert noise in text, noise
    assert "the outputs table" not in text and "after the run" not in text
    if tf == "tf":
        assert "tf python warning" in text
        # TF_CPP_MIN_LOG_LEVEL=0 in the child: TF's C++ logging at import lands in the log
        assert "external/local_" in text or "tensorflow/core" in text, text[:2000]


def test_an_exception_leaves_its_traceback_in_the_log_and_restores_the_fds(tmp_path):
    code = textwrap.dedent(
        """
        import os, sys
        from pipeline import env
        with env.output_to_log(sys.argv[1]):
            os.write(2, b"noise before the failure\\n")
            raise RuntimeError("component exploded")
        """
    )
    log = tmp_path / "run.log"
    proc = _run_child(code, str(log))
    assert proc.returncode == 1
    assert "RuntimeError: component exploded" in proc.stderr  # Python's own report, on the restored fd 2
    assert "noise before the failure" not in proc.stderr
    text = log.read_text()
    assert "noise before the failure" in text and "RuntimeError: component exploded" in text


FAILING_RUN_CHILD = textwrap.dedent(
    """
    import logging, os, sys
    from cli.main import main
    from pipeline import local_runner

    def failing_run(config, stream=None, log_file=None, **_):
        os.write(2, b"W tensorflow/core/fake.cc:1] C++ noise\\n")
        logging.getLogger("absl").warning("[movierec] retrieval: epoch 1/1 in 0.1 s: loss=1.0000")
        logging.getLogger("tensorflow").warning("From x.py: deprecated")
        print("[movierec] \u25b6 Trainer started", file=stream, flush=True)
        raise RuntimeError("the trainer exploded")

    local_runner.run = failing_run
    sys.exit(main(["run", "--work-dir", sys.argv[1], "--models", "none"]))
    """
)


def test_movierec_run_reports_a_failure_on_the_console(tmp_path):
    # a fresh process, as `movierec run` is (in this test process other tests' imports keep
    # handlers on earlier pytest capture streams)
    done = subprocess.run(
        [sys.executable, "-c", FAILING_RUN_CHILD, str(tmp_path / "work")], capture_output=True, text=True, cwd=ROOT
    )
    out, err = done.stdout, done.stderr
    assert done.returncode == 1, err
    assert "[movierec] retrieval: epoch 1/1 in 0.1 s: loss=1.0000" in err
    assert "[movierec] \u25b6 Trainer started" in err
    assert "RuntimeError: the trainer exploded" in err and "Traceback" in err
    (log,) = (tmp_path / "work" / "logs").glob("run-*.log")
    assert f"(full log: {log})" in err
    assert "C++ noise" not in err + out and "deprecated" not in err + out
    text = log.read_text()
    assert "C++ noise" in text and "deprecated" in text and "the trainer exploded" in text


def test_the_console_filter_keeps_our_lines_only():
    def record(name, level, message, pathname="/usr/lib/python3/somewhere.py"):
        return logging.LogRecord(name, level, pathname, 1, message, None, None)

    ours = str(ROOT / "trainer" / "run.py")
    assert env.for_the_console(record("absl", logging.INFO, "[movierec] ranking: epoch 2/5 in 3.0 s"))
    assert env.for_the_console(record("components.x", logging.WARNING, "ours"))
    assert env.for_the_console(record("absl", logging.ERROR, "ours via absl", pathname=ours))
    assert not env.for_the_console(record("absl", logging.INFO, "ours, but info", pathname=ours))
    assert not env.for_the_console(record("tensorflow", logging.WARNING, "deprecated"))
    assert not env.for_the_console(record("absl", logging.WARNING, "a library", pathname=str(ROOT / ".venv" / "x.py")))
    site = "/opt/venv/lib/python3.10/site-packages"
    assert env.for_the_console(record("absl", logging.WARNING, "installed", pathname=f"{site}/pipeline/x.py"))
    assert not env.for_the_console(record("absl", logging.WARNING, "tfx", pathname=f"{site}/tfx/x.py"))


def test_heartbeat_while_a_component_runs_and_not_after():
    out = io.StringIO()
    log = logging.getLogger("absl")
    log.setLevel(logging.INFO)
    with ComponentProgress(out, heartbeat_seconds=0.2):
        log.info("Component %s is running.", "Transform")
        time.sleep(0.75)
        log.info("Component %s is finished.", "Transform")
        time.sleep(0.5)  # no component: no heartbeat
        finished_at = len(out.getvalue())
    time.sleep(0.5)  # the thread has stopped
    lines = out.getvalue().splitlines()
    beats = [line for line in lines if "running for" in line]
    assert 2 <= len(beats) <= 4, lines
    assert all(line.startswith("[movierec] … Transform running for ") for line in beats)
    assert lines[0] == "[movierec] ▶ Transform started" and lines[-1].startswith("[movierec] ✔ Transform finished")
    assert len(out.getvalue()) == finished_at


def test_no_heartbeat_before_the_interval():
    out = io.StringIO()
    with ComponentProgress(out, heartbeat_seconds=30) as progress:
        progress.emit(logging.LogRecord("absl", logging.INFO, "", 1, "Component Pusher is running.", None, None))
        time.sleep(0.3)
    assert "running for" not in out.getvalue()


def test_format_elapsed():
    assert [format_elapsed(s) for s in (0, 42.9, 90, 3725)] == ["0s", "42s", "1m30s", "1h02m05s"]
