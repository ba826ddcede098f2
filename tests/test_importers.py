"""`mnistgan import`: other scripts' generators become mnistgan models that compute the same digits.

The original networks are written here as their authors published them (../shared/seeds/000, 001
and 004 describe them), given random weights (BatchNorm running statistics included), saved in
the layouts people save them in, imported, and run side by side with their mnistgan twins.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from mnistgan.cli import main
from mnistgan.errors import MnistganError, ModelFileError
from mnistgan.importers import import_model
from mnistgan.nets import Generator, build_discriminator
from mnistgan.sampling import Sampler


class ClassicMLPGenerator(nn.Module):
    """The widely used MLP generator (seed 000): LeakyReLU before BatchNorm."""

    def __init__(self, z_dim: int = 100):
        super().__init__()
        self.model = nn.Sequential(
            nn.Linear(z_dim, 256), nn.LeakyReLU(0.2), nn.BatchNorm1d(256),
            nn.Linear(256, 512), nn.LeakyReLU(0.2), nn.BatchNorm1d(512),
            nn.Linear(512, 1024), nn.LeakyReLU(0.2), nn.BatchNorm1d(1024),
            nn.Linear(1024, 784), nn.Tanh())

    def forward(self, z):
        return self.model(z)


class NotebookMLPGenerator(nn.Module):
    """The notebook's generator (seed 001): ReLU, no BatchNorm."""

    def __init__(self, z_dim: int = 100):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(z_dim, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(),
                                   nn.Linear(512, 1024), nn.ReLU(), nn.Linear(1024, 784), nn.Tanh())

    def forward(self, z):
        return self.model(z)


class CGAN_Generator(nn.Module):
    """mnist_cgan_generator.pth's class, as its model card publishes it (seed 004)."""

    def __init__(self, noise_dim=100, num_classes=10, img_size=28):
        super().__init__()
        self.init_size = img_size // 4
        self.embedding_dim = 20
        self.label_embedding = nn.Embedding(num_classes, self.embedding_dim)
        self.projection = nn.Sequential(nn.Linear(noise_dim + self.embedding_dim, 128 * self.init_size * self.init_size))
        self.conv_blocks = nn.Sequential(
            nn.BatchNorm2d(128),
            nn.ConvTranspose2d(128, 64, kernel_size=4, stride=2, padding=1),
            nn.BatchNorm2d(64),
            nn.LeakyReLU(0.2, inplace=True),
            nn.ConvTranspose2d(64, 1, kernel_size=4, stride=2, padding=1),
            nn.Tanh())

    def forward(self, noise, labels):
        label_embed = self.label_embedding(labels)
        merged_input = torch.cat((noise, label_embed), dim=1)
        out = self.projection(merged_input)
        out = out.view(out.shape[0], 128, self.init_size, self.init_size)
        return self.conv_blocks(out)


def randomized(module: nn.Module, seed: int = 0) -> nn.Module:
    """Random weights everywhere, BatchNorm's affine parameters and running statistics too, so a
    layer mapped to the wrong place or a statistic left at its default shows in the output."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if name.endswith("num_batches_tracked"):
                tensor.fill_(1000)
            elif name.endswith("running_var"):
                tensor.copy_(torch.rand(tensor.shape, generator=g) + 0.5)
            else:
                tensor.copy_(torch.randn(tensor.shape, generator=g) * 0.2)
    return module.eval()


def save(module: nn.Module, path: Path, layout: str) -> Path:
    """The generator's weights as people save them: a bare state dict, or a training checkpoint."""
    state = module.state_dict()
    if layout == "checkpoint":
        d = {"0.weight": torch.randn(4, 4)}  # a discriminator and a training state beside the generator
        if path.suffix == ".safetensors":  # flat: the checkpoint's keys become prefixes
            state = {**{f"generator_state_dict.{k}": v for k, v in state.items()},
                     **{f"discriminator_state_dict.{k}": v for k, v in d.items()}}
        else:
            state = {"generator_state_dict": state, "discriminator_state_dict": d, "epoch": 200,
                     "optimizer_G": {"state": {}, "param_groups": [{"lr": 2e-4, "betas": (0.5, 0.999)}]}}
    if path.suffix == ".safetensors":
        save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    else:
        torch.save(state, path)
    return path


ORIGINALS = {  # name: (format, the original network, its arch in mnistgan, conditional)
    "classic-mlp": ("mlp-gan", lambda: ClassicMLPGenerator(), "mlp", False),
    "notebook-mlp": ("mlp-gan", lambda: NotebookMLPGenerator(64), "mlp-relu", False),  # z_dim 64: read off the weights
    "cgan": ("cgan-mnist", lambda: CGAN_Generator(), "cgan-mnist", True),
    "cgan-noise-50": ("cgan-mnist", lambda: CGAN_Generator(noise_dim=50), "cgan-mnist", True),  # from its Optuna search
}


@pytest.mark.parametrize("layout", ["state_dict", "checkpoint"])
@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
@pytest.mark.parametrize("original", list(ORIGINALS))
def test_an_imported_generator_draws_what_the_original_draws(tmp_path, original, suffix, layout):
    fmt, build, arch, conditional = ORIGINALS[original]
    net = randomized(build())
    source = save(net, tmp_path / f"generator{suffix}", layout)
    import_model(source, fmt, tmp_path / "model")

    G = Generator.from_pretrained(tmp_path / "model")
    assert G.arch == arch and G.conditional == conditional
    z = torch.randn(32, G.latent_dim, generator=torch.Generator().manual_seed(1))
    labels = torch.arange(32) % 10
    with torch.no_grad():
        theirs = (net(z, labels) if conditional else net(z)).view(32, 1, 28, 28)
        ours = G(z, labels) if conditional else G(z)
    assert ours.shape == (32, 1, 28, 28)
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)
    assert theirs.std() > 0.05  # the outputs really differ from digit to digit: the comparison means something


def test_the_cli_imports_registers_and_records_where_the_model_came_from(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MNISTGAN_HOME", str(tmp_path / "home"))
    source = save(randomized(CGAN_Generator()), tmp_path / "mnist_cgan_generator.pth", "state_dict")
    main(["import", str(source), "--format", "cgan-mnist", "--out", str(tmp_path / "cgan"), "--name", "their-cgan"])
    out = capsys.readouterr().out
    assert "registered their-cgan@1" in out and "--model their-cgan" in out

    info = json.loads((tmp_path / "cgan" / "info.json").read_text())
    assert info["imported_from"]["file"] == str(source.resolve())
    assert info["imported_from"]["format"] == "cgan-mnist"
    assert info["imported_from"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert info["architecture"]["Generator"]  # the card's layer table
    # registered: generation, interpolation between digits and the API all find it by name
    s = Sampler.from_pretrained("their-cgan")
    images, labels = s.sample(20, digits=[3, 8], seed=0)
    assert images.shape == (20, 28, 28) and list(labels[:2]) == [3, 8]
    assert s.interpolate(steps=5, from_digit=3, to_digit=8).shape[0] == 5


def test_imported_architectures_refuse_to_be_trained():
    for arch in ("mlp-relu", "cgan-mnist"):
        with pytest.raises(MnistganError, match=f"{arch} is an imported generator"):
            build_discriminator(arch, 10, 64)


class PlantsAFile:
    """What a hostile checkpoint holds: an object whose unpickling runs a function (here, one that makes a file)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.bad_input("file", n=3)
def test_a_file_that_would_run_code_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "code-ran"
    hostile = {"model.0.weight": PlantsAFile(marker)}
    plain = tmp_path / "plain-pickle.pth"
    plain.write_bytes(pickle.dumps(hostile))
    zipped = tmp_path / "torch-save.pth"
    torch.save(hostile, zipped)
    whole_module = tmp_path / "module.pth"  # torch.save(model): a pickled nn.Module, not its tensors
    torch.save(ClassicMLPGenerator(), whole_module)
    for path in (plain, zipped, whole_module):
        with pytest.raises(ModelFileError, match="refused") as e:
            import_model(path, "mlp-gan", tmp_path / "out")
        assert str(e.value).startswith(f"{path}: ") and "\n" not in str(e.value)
        assert not marker.exists()
    assert "ClassicMLPGenerator" in str(e.value) and not (tmp_path / "out").exists()


def mismatched_files(tmp_path: Path) -> dict[str, Path]:
    classic = randomized(ClassicMLPGenerator()).state_dict()
    files = {"cgan.pth": CGAN_Generator().state_dict(),
             "no-last-layer.pth": {k: v for k, v in classic.items() if not k.startswith("model.9.")},
             "narrow.pth": {**classic, "model.3.weight": torch.zeros(500, 256)},
             "wrong-classes.pth": {**CGAN_Generator(num_classes=12).state_dict()}}
    for name, state in files.items():
        torch.save(state, tmp_path / name)
    (tmp_path / "text.pth").write_text("not weights\n")
    (tmp_path / "bad.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}")
    torch.save([1, 2, 3], tmp_path / "list.pth")
    save(randomized(ClassicMLPGenerator()), tmp_path / "ok.pth", "state_dict")
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "something").write_text("")
    return files


BAD_IMPORTS = [  # (file, --format, extra arguments, what the error says after the file's name)
    ("cgan.pth", "mlp-gan", [], "not mlp-gan weights: no model.0.weight (it looks like --format cgan-mnist)"),
    ("ok.pth", "cgan-mnist", [], "not cgan-mnist weights: no label_embedding.weight (it looks like --format mlp-gan)"),
    ("no-last-layer.pth", "mlp-gan", [], "does not match --format mlp-gan: missing model.9.weight; missing model.9.bias"),
    ("narrow.pth", "mlp-gan", [], "model.3.weight is (500, 256), expected (512, 256)"),
    ("wrong-classes.pth", "cgan-mnist", [], "label_embedding.weight has 12 classes"),
    ("text.pth", "mlp-gan", [], "not a PyTorch weights file"),
    ("bad.safetensors", "mlp-gan", [], "not a valid safetensors file"),
    ("list.pth", "mlp-gan", [], "holds a list, not a state dict"),
    ("nowhere.pth", "mlp-gan", [], "no such file"),
]


@pytest.mark.bad_input("cli")
@pytest.mark.parametrize("file, fmt, extra, message", BAD_IMPORTS, ids=[f"{f} as {fmt}" for f, fmt, _, _ in BAD_IMPORTS])
def test_a_bad_weights_file_is_one_error_line_naming_it(tmp_path, capsys, file, fmt, extra, message):
    mismatched_files(tmp_path)
    with pytest.raises(SystemExit) as e:
        main(["import", str(tmp_path / file), "--format", fmt, "--out", str(tmp_path / "model"), *extra])
    err = capsys.readouterr().err.strip()
    assert e.value.code == 1 and err.count("\n") == 0 and "Traceback" not in err, err
    assert err.startswith(f"error: {tmp_path / file}: ") and message in err, err
    assert not (tmp_path / "model").exists()


BAD_OPTIONS = [
    (["--format", "keras"], "unknown --format 'keras'; known: mlp-gan, cgan-mnist"),
    (["--format", "mlp-gan", "--name", "Bad Name"], "invalid model name 'Bad Name'"),
    (["--format", "mlp-gan", "--out", "{tmp}/taken"], "{tmp}/taken already exists"),
]


@pytest.mark.bad_input("cli")
@pytest.mark.parametrize("args, message", BAD_OPTIONS, ids=[" ".join(a) for a, _ in BAD_OPTIONS])
def test_bad_options_are_one_error_line(tmp_path, capsys, args, message):
    mismatched_files(tmp_path)
    args = [a.format(tmp=tmp_path) for a in args]
    out = [] if "--out" in args else ["--out", str(tmp_path / "model")]
    with pytest.raises(SystemExit) as e:
        main(["import", str(tmp_path / "ok.pth"), *args, *out])
    err = capsys.readouterr().err.strip()
    assert e.value.code == 1 and err.count("\n") == 0 and err.startswith(f"error: {message.format(tmp=tmp_path)}"), err
    assert (tmp_path / "taken" / "something").exists() and not (tmp_path / "model").exists()
