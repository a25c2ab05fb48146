import hashlib
import http.server
import io
import threading
import zipfile

import pytest

from movielens import download, readers
from tests.movielens import fixtures


def _zip_bytes(tmp_path) -> bytes:
    folder = fixtures.write_ml1m(tmp_path / "src")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in ("users.dat", "movies.dat", "ratings.dat"):
            zf.write(folder / name, f"ml-1m/{name}")
    return buf.getvalue()


@pytest.fixture
def server(tmp_path):
    """A real HTTP server on 127.0.0.1 serving /good.zip and /truncated.zip."""
    payload = _zip_bytes(tmp_path)
    hits = {"count": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits["count"] += 1
            if self.path == "/good.zip":
                body, length = payload, len(payload)
            elif self.path == "/truncated.zip":
                body, length = payload[: len(payload) // 2], len(payload)
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield base, hashlib.sha256(payload).hexdigest(), hits
    httpd.shutdown()
    httpd.server_close()


def test_good_archive_is_verified_unpacked_and_cached(server, tmp_path):
    base, sha, hits = server
    path = download.download("ml-1m", tmp_path / "cache", url=f"{base}/good.zip", sha256=sha, stream=io.StringIO())
    assert readers.detect(path).format == "ml-1m"
    assert (path / "ratings.dat").read_text() == fixtures.ML1M_RATINGS
    again = download.download("ml-1m", tmp_path / "cache", url=f"{base}/good.zip", sha256=sha, stream=io.StringIO())
    assert again == path and hits["count"] == 1  # served from the cache


def test_wrong_checksum_is_refused_and_discarded(server, tmp_path):
    base, _, _ = server
    with pytest.raises(download.DownloadError, match="SHA-256 mismatch"):
        download.download("ml-1m", tmp_path / "c", url=f"{base}/good.zip", sha256="0" * 64, stream=io.StringIO())
    assert not list((tmp_path / "c").glob("*.zip*"))
    assert not (tmp_path / "c" / "ml-1m").exists()


def test_truncated_download_is_refused(server, tmp_path):
    base, sha, _ = server
    with pytest.raises(download.DownloadError, match=r"truncated|download failed"):
        download.download("ml-1m", tmp_path / "c", url=f"{base}/truncated.zip", sha256=sha, stream=io.StringIO())
    assert not list((tmp_path / "c").glob("*.zip*"))


def test_missing_file_and_unknown_dataset(server, tmp_path):
    base, sha, _ = server
    with pytest.raises(download.DownloadError, match="404"):
        download.download("ml-1m", tmp_path / "c", url=f"{base}/nope.zip", sha256=sha, stream=io.StringIO())
    with pytest.raises(download.DownloadError, match="unknown data set"):
        download.download("ml-25m", tmp_path / "c")


def test_official_checksums_are_recorded():
    assert set(download.DATASETS) == {"ml-1m", "ml-100k"}
    for spec in download.DATASETS.values():
        assert spec.url.startswith("https://files.grouplens.org/datasets/movielens/")
        assert len(spec.sha256) == 64


def test_cli_download_prints_the_folder_and_fails_cleanly(server, tmp_path, capsys):
    from cli.main import main

    base, sha, _ = server
    args = ["download", "ml-1m", "--cache-dir", str(tmp_path / "c"), "--url", f"{base}/good.zip"]
    assert main([*args, "--sha256", sha]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "c" / "ml-1m")
    assert (
        main(
            ["download", "ml-1m", "--cache-dir", str(tmp_path / "d"), "--url", f"{base}/good.zip", "--sha256", "1" * 64]
        )
        == 1
    )
    assert "SHA-256 mismatch" in capsys.readouterr().err
