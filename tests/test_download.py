"""Downloads against a loopback HTTP server run by these tests (no internet needed or used)."""

import gzip
import hashlib
import io
import os
import re
import socket
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_datasets import run_trainer, write_emnist

from basicnet import datasets, download, netfile
from conftest import write_dataset

SERVER_LIFETIME_S = 120  # a server left behind by a crashed test stops by itself


class Handler(BaseHTTPRequestHandler):
    """GET with `Range: bytes=N-` support; can cut a response short to imitate a dropped
    connection. HTTP/1.0: one request per connection, closed after the response."""

    def do_GET(self):
        srv = self.server
        asked = self.headers.get("Range")
        srv.requests.append((self.path, asked))
        data = srv.files.get(self.path)
        if data is None:
            self.send_error(404)
            return
        start = 0
        if asked and not srv.ignore_range:
            start = int(re.fullmatch(r"bytes=(\d+)-", asked)[1])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        cut = srv.drop_after.pop(self.path, None)
        body = data[start:] if cut is None else data[start:start + cut]
        for i in range(0, len(body), 1 << 16):
            self.wfile.write(body[i:i + (1 << 16)])
            time.sleep(srv.pace)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.files: dict[str, bytes] = {}
        self.drop_after: dict[str, int] = {}  # path -> bytes sent before hanging up, once
        self.requests: list[tuple[str, str | None]] = []
        self.ignore_range = False  # answer 200 with the whole file, as some servers do
        self.pace = 0.0  # seconds to wait after each 64 KiB sent: a slow link

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_port}{path}"

    def asked(self, path: str) -> list:
        """The Range header of every request for `path` (None when whole)."""
        return [r for p, r in self.requests if p == path]


@pytest.fixture
def server():
    srv = Server()
    srv.timeout = 5
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    stopper = threading.Timer(SERVER_LIFETIME_S, srv.shutdown)
    stopper.daemon = True
    stopper.start()
    yield srv
    stopper.cancel()
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def closed_port() -> int:
    """A loopback port nobody listens on: connecting to it is refused, as when offline."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mnist_source(tmp_path, monkeypatch):
    """Small MNIST-named files, their md5s set as the ones to expect."""
    folder = write_dataset(tmp_path / "source", n_train=300, n_test=60)
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    monkeypatch.setattr(datasets, "MNIST_MD5",
                        {n: (hashlib.md5(b).hexdigest(),) for n, b in files.items()})
    return files


def serve_mnist(server, files, prefix, monkeypatch, mirrors=None):
    for name, data in files.items():
        server.files[f"{prefix}{name}"] = data
    monkeypatch.setattr(datasets, "MNIST_MIRRORS", mirrors or [server.url(prefix)])


def emnist_zip(tmp_path, splits=("letters", "digits"), evil=None) -> bytes:
    """A zip laid out like NIST's: gzip/emnist-<split>-... for a few small splits."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for split in splits:
            folder = tmp_path / f"zip-{split}"
            write_emnist(folder, split, n_train=520 if split == "letters" else 60, n_test=104)
            for path in sorted(folder.iterdir()):
                name = f"gzip/{path.name}"
                if evil and Path(evil).name == path.name:
                    name = evil
                z.writestr(name, path.read_bytes())
    return buf.getvalue()


def serve_emnist(server, data: bytes, monkeypatch):
    server.files["/EMNIST/gzip.zip"] = data
    monkeypatch.setattr(datasets, "EMNIST_URL", server.url("/EMNIST/gzip.zip"))
    monkeypatch.setattr(datasets, "EMNIST_MD5", hashlib.md5(data).hexdigest())


def test_first_mirror_404_falls_through_to_the_second(server, mnist_source, tmp_path,
                                                      monkeypatch):
    serve_mnist(server, mnist_source, "/b/", monkeypatch, [server.url("/a/"), server.url("/b/")])
    data = datasets.load("mnist", tmp_path / "mnist", download=True, say=lambda m: None)
    assert len(data.train_labels) == 300 and data.classes == list("0123456789")
    assert server.asked("/a/train-images-idx3-ubyte.gz") == [None]  # tried, got 404
    assert server.asked("/b/train-images-idx3-ubyte.gz") == [None]
    for name, content in mnist_source.items():
        assert (tmp_path / "mnist" / name).read_bytes() == content
    assert not list((tmp_path / "mnist").glob("*.part"))


def test_md5_mismatch_is_an_error_and_leaves_no_file(server, mnist_source, tmp_path,
                                                     monkeypatch):
    serve_mnist(server, mnist_source, "/m/", monkeypatch)
    server.files["/m/t10k-labels-idx1-ubyte.gz"] = b"not what the md5 says"
    folder = tmp_path / "mnist"
    with pytest.raises(datasets.DatasetError) as e:
        datasets.load("mnist", folder, download=True, say=lambda m: None)
    msg = str(e.value)
    assert "md5 mismatch" in msg and "t10k-labels-idx1-ubyte.gz" in msg and "\n" not in msg
    assert not (folder / "t10k-labels-idx1-ubyte.gz").exists()
    assert not (folder / "t10k-labels-idx1-ubyte.gz.part").exists()


def test_dropped_connection_is_resumed_with_a_range_request(server, mnist_source, tmp_path,
                                                            monkeypatch):
    serve_mnist(server, mnist_source, "/m/", monkeypatch)
    path = "/m/train-images-idx3-ubyte.gz"
    half = len(mnist_source["train-images-idx3-ubyte.gz"]) // 2
    server.drop_after[path] = half
    datasets.ensure("mnist", tmp_path, say=lambda m: None)
    assert server.asked(path) == [None, f"bytes={half}-"]
    assert (tmp_path / "train-images-idx3-ubyte.gz").read_bytes() == \
        mnist_source["train-images-idx3-ubyte.gz"]


def test_a_part_file_from_an_earlier_run_is_resumed(server, tmp_path):
    content = os.urandom(300_000)
    server.files["/big.bin"] = content
    (tmp_path / "big.bin.part").write_bytes(content[:123_456])
    download.fetch([server.url("/big.bin")], tmp_path / "big.bin",
                   [hashlib.md5(content).hexdigest()], say=lambda m: None)
    assert server.asked("/big.bin") == ["bytes=123456-"]
    assert (tmp_path / "big.bin").read_bytes() == content
    assert not (tmp_path / "big.bin.part").exists()


def test_a_connection_that_keeps_dropping_leaves_only_the_part(server, tmp_path):
    content = os.urandom(100_000)
    server.files["/f"] = content

    class Dropper(dict):  # every response hangs up after 1000 bytes, then none get through
        def pop(self, key, default=None):
            return 1000 if len(server.requests) < 2 else 0

    server.drop_after = Dropper()
    with pytest.raises(download.DownloadError, match="connection dropped"):
        download.fetch([server.url("/f")], tmp_path / "f", [hashlib.md5(content).hexdigest()],
                       say=lambda m: None)
    assert not (tmp_path / "f").exists()
    assert (tmp_path / "f.part").read_bytes() == content[:1000]


def test_progress_bar_shows_size_speed_and_time_left(server, tmp_path, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    server.files["/f"] = os.urandom(2_000_000)
    server.pace = 0.04  # about 1.2 s in all, so the bar refreshes (every 0.5 s) mid-way
    monkeypatch.setattr(sys, "stderr", Terminal())
    download.fetch([server.url("/f")], tmp_path / "f", (), say=lambda m: None)
    bar = sys.stderr.getvalue()
    assert "1.91M" in bar  # the size, in MiB
    assert re.search(r"[\d.]+[kMG]?B/s", bar) and "<" in bar  # speed and time left


def test_emnist_split_extracted_from_the_zip_and_nothing_else(server, tmp_path, monkeypatch):
    serve_emnist(server, emnist_zip(tmp_path), monkeypatch)
    folder = tmp_path / "emnist"
    data = datasets.load("emnist-letters", folder, download=True, say=lambda m: None)
    assert data.classes[0] == "Aa" and data.train_labels.min() == 0
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(datasets.CATALOGUE["emnist-letters"].needed + ["gzip.zip"])
    # another split later comes from the kept zip: no second download
    datasets.load("emnist-digits", folder, download=True, say=lambda m: None)
    assert len(server.asked("/EMNIST/gzip.zip")) == 1


@pytest.mark.parametrize("evil", ["../emnist-letters-mapping.txt",
                                  "gzip/../../emnist-letters-mapping.txt",
                                  "ABS/emnist-letters-mapping.txt"])
def test_zip_member_that_would_land_outside_is_refused(server, tmp_path, monkeypatch, evil):
    evil = evil.replace("ABS", str(tmp_path / "abs"))  # an absolute path
    serve_emnist(server, emnist_zip(tmp_path, ("letters",), evil), monkeypatch)
    folder = tmp_path / "a" / "emnist"
    with pytest.raises(datasets.DatasetError, match="refusing member .*outside"):
        datasets.load("emnist-letters", folder, download=True, say=lambda m: None)
    assert not (tmp_path / "a" / "emnist-letters-mapping.txt").exists()
    assert not (tmp_path / "emnist-letters-mapping.txt").exists()
    assert not (folder / "emnist-letters-mapping.txt").exists()
    assert not (tmp_path / "abs" / "emnist-letters-mapping.txt").exists()


def test_a_damaged_zip_already_there_is_reported_not_replaced(server, tmp_path, monkeypatch):
    serve_emnist(server, emnist_zip(tmp_path, ("letters",)), monkeypatch)
    folder = tmp_path / "emnist"
    folder.mkdir()
    (folder / "gzip.zip").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(datasets.DatasetError, match="damaged zip.*delete it"):
        datasets.load("emnist-letters", folder, download=True, say=lambda m: None)
    assert server.requests == []
    assert (folder / "gzip.zip").read_bytes().endswith(b"not really a zip")


def test_offline_the_trainer_says_what_to_fetch_by_hand(tmp_path):
    port = closed_port()
    env = {**os.environ, datasets.MNIST_MIRRORS_ENV: f"http://127.0.0.1:{port}/mnist/"}
    folder = tmp_path / "data"
    r = run_trainer("--dataset", "mnist", "--data-dir", folder, "--headless", "--no-save",
                    env=env)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot download mnist: no connection")
    for part in [str(folder), f"http://127.0.0.1:{port}/mnist/"] + list(datasets.MNIST.needed):
        assert part in lines[0]
    assert not folder.exists(), "a failed download leaves no empty folder it made"


def test_no_download_forbids_fetching(server, tmp_path):
    env = {**os.environ, datasets.MNIST_MIRRORS_ENV: server.url("/m/")}
    r = run_trainer("--data-dir", tmp_path, "--dataset", "mnist", "--no-download",
                    "--headless", "--no-save", env=env)
    assert r.returncode == 2 and "downloads are off" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and server.requests == []


def test_present_files_raw_or_gz_are_used_as_they_are(server, tmp_path, monkeypatch):
    """The user's own copies (here: some raw, some recompressed .gz whose md5 matches no
    catalogue entry) are read without any download or md5 check."""
    folder = write_dataset(tmp_path / "mine")
    gz = folder / "train-images-idx3-ubyte.gz"
    (folder / "train-images-idx3-ubyte").write_bytes(gzip.decompress(gz.read_bytes()))
    gz.unlink()
    monkeypatch.setattr(datasets, "MNIST_MIRRORS", [server.url("/m/")])
    data = datasets.load("mnist", folder, download=True)
    assert len(data.train_labels) == 200 and server.requests == []


def test_a_present_file_that_fails_to_parse_is_reported_not_downloaded_again(
        server, mnist_source, tmp_path, monkeypatch):
    serve_mnist(server, mnist_source, "/m/", monkeypatch)
    folder = write_dataset(tmp_path / "mine")
    bad = folder / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:-8])
    with pytest.raises(datasets.DatasetError, match="t10k-labels.*delete it") as e:
        datasets.load("mnist", folder, download=True)
    assert "truncated" in str(e.value) or "corrupt" in str(e.value)
    assert server.requests == [] and not list(folder.glob("*.part"))


def test_real_mnist_md5s_accept_recompressed_files(mnist_dir):
    """../shared holds MNIST recompressed: its .gz md5 differs from the canonical one, its
    content's md5 does not, and the catalogue accepts either."""
    for name, md5s in datasets.MNIST_MD5.items():
        assert download.md5_of(mnist_dir / name) not in md5s
        assert download.verify(mnist_dir / name, md5s), name
    assert not download.verify(mnist_dir / "t10k-labels-idx1-ubyte.gz",
                               datasets.MNIST_MD5["train-labels-idx1-ubyte.gz"])


def test_trainer_downloads_emnist_letters_on_first_use_and_knows_its_letters(server, tmp_path):
    data = emnist_zip(tmp_path, ("letters",))
    server.files["/gzip.zip"] = data
    env = {**os.environ, datasets.EMNIST_URL_ENV: server.url("/gzip.zip"),
           datasets.EMNIST_MD5_ENV: hashlib.md5(data).hexdigest()}
    folder, net = tmp_path / "emnist", tmp_path / "letters.npz"
    r = run_trainer("--dataset", "emnist-letters", "--data-dir", folder, "--download-only",
                    env=env)
    assert r.returncode == 0, r.stderr
    assert "emnist-letters is ready" in r.stdout
    assert (folder / "emnist-letters-mapping.txt").is_file()
    (folder / "gzip.zip").unlink()  # the split's files are all that training needs
    r = run_trainer("--dataset", "emnist-letters", "--data-dir", folder, "--headless",
                    "--epochs", "3", "--hidden", "20", "--lr", "0.5", "--seed", "3",
                    "--save", net, "--log", tmp_path / "log.csv", env=env)
    assert r.returncode == 0, r.stderr
    assert len(server.asked("/gzip.zip")) == 1
    nf = netfile.load(net)
    assert nf.classes == [chr(65 + k) + chr(97 + k) for k in range(26)]
    assert nf.test_accuracy > 0.8


def test_a_stale_part_that_fails_the_md5_is_fetched_again_whole(server, tmp_path):
    """Bytes kept from another mirror's differently compressed copy cannot be resumed."""
    content = os.urandom(50_000)
    server.files["/f"] = content
    (tmp_path / "f.part").write_bytes(os.urandom(20_000))
    download.fetch([server.url("/f")], tmp_path / "f", [hashlib.md5(content).hexdigest()],
                   say=lambda m: None)
    assert server.asked("/f") == ["bytes=20000-", None]
    assert (tmp_path / "f").read_bytes() == content


def test_a_server_that_ignores_range_gets_the_file_whole(server, tmp_path):
    content = os.urandom(40_000)
    server.files["/f"] = content
    server.ignore_range = True
    (tmp_path / "f.part").write_bytes(content[:10_000])
    download.fetch([server.url("/f")], tmp_path / "f", [hashlib.md5(content).hexdigest()],
                   say=lambda m: None)
    assert server.asked("/f") == ["bytes=10000-"]  # asked to resume, got 200, started over
    assert (tmp_path / "f").read_bytes() == content
