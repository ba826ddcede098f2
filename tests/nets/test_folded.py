"""Fast forms of the generators for drawing digits: folded DCGANs (nets/folded.py), channels-last copies of the rest."""

import pytest
import torch
import torch.nn.functional as F

from mnistgan.nets import Generator
from mnistgan.nets.folded import FoldedDCGAN, foldable, subpixel_weight
from mnistgan.sampling import Sampler


def with_random_statistics(G: Generator) -> Generator:
    """Random weights, BatchNorm statistics and LabelNorm tables (LabelNorm starts at zero), in eval mode."""
    torch.manual_seed(0)
    with torch.no_grad():
        for name, tensor in G.state_dict().items():
            if name.endswith("running_var"):
                tensor.uniform_(0.5, 2.0)
            elif name.endswith("running_mean") or name.endswith("weight") or name.endswith("bias"):
                tensor.normal_(0, 0.2)
    return G.eval()


def test_subpixel_weight_computes_the_transposed_convolution():
    torch.manual_seed(1)
    x, weight = torch.randn(3, 5, 9, 9), torch.randn(5, 2, 4, 4)
    expected = F.conv_transpose2d(x, weight, stride=2, padding=1)  # (3, 2, 18, 18)
    got = F.pixel_shuffle(F.conv2d(x, subpixel_weight(weight), padding=1), 2)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("num_classes, label_norm", [(0, False), (10, False), (10, True)])
def test_folded_generator_matches_the_module(num_classes, label_norm):
    G = with_random_statistics(Generator("dcgan", 16, num_classes, 8, label_norm=label_norm))
    assert foldable(G.net)
    z, digits = torch.randn(37, 16), torch.arange(37) % 10
    labels = digits if num_classes else None
    with torch.no_grad():
        expected = G(z, labels)
        got = FoldedDCGAN(G.net)(z, labels)
    assert got.shape == (37, 1, 28, 28)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)


def test_only_dcgan_generators_fold():
    assert not foldable(Generator("mlp", 16, 0, 8).net)
    assert not foldable(Generator("stylegan", 16, 10, 4).net)


def test_sampler_draws_the_default_model_through_its_folded_form():
    s = Sampler.from_pretrained("cdcgan")
    assert isinstance(s.backend.draw, FoldedDCGAN)
    z, digits = s.noise(64, seed=3), s.labels_for(64, None)
    with torch.no_grad():
        module = s.backend.G(z, torch.as_tensor(digits))
    folded = torch.as_tensor(s.decode(z, digits)).float()
    assert (folded - ((module.clamp(-1, 1) + 1) * 127.5).round()[:, 0]).abs().max() <= 1  # uint8 rounding at most


def test_r3gan_draws_through_a_channels_last_copy():
    s = Sampler.from_pretrained("r3gan")
    draw = s.backend.draw
    assert draw is not s.backend.G
    kernels = [p for p in draw.parameters() if p.dim() == 4]
    assert kernels and all(k.is_contiguous(memory_format=torch.channels_last) for k in kernels)
    z, digits = s.noise(16, seed=3), torch.arange(16) % 10
    with torch.no_grad():
        torch.testing.assert_close(draw(z, digits), s.backend.G(z, digits), rtol=0, atol=1e-4)


def test_stylegan_draws_through_its_module():
    s = Sampler.from_pretrained("stylegan")
    assert s.backend.draw is s.backend.G


def test_a_generator_in_training_mode_is_drawn_as_it_is():
    G = Generator("dcgan", 16, 10, 8, label_norm=True).train()
    assert Sampler(G).backend.draw is G
