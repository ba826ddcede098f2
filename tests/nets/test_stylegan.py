"""The StyleGAN generator: mapping and modulation shapes, demodulation, style mixing and truncation."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mnistgan.errors import MnistganError
from mnistgan.nets import Generator
from mnistgan.nets.stylegan import NUM_WS, MappingNetwork, ModulatedConv
from mnistgan.sampling import Sampler


def style_sampler(conditional: bool = True) -> Sampler:
    torch.manual_seed(0)
    return Sampler(Generator("stylegan", 16, 10 if conditional else 0, 8).eval())


def test_mapping_gives_one_w_per_sample_and_the_digit_changes_it():
    mapping = MappingNetwork(latent_dim=16, num_classes=10, w_dim=32)
    z = torch.randn(1, 16).expand(2, -1)
    w = mapping(z, F.one_hot(torch.tensor([3, 7]), 10).float())
    assert w.shape == (2, 32) and not torch.allclose(w[0], w[1])


def test_modulated_conv_shapes_and_the_fast_path_equals_per_sample_weights():
    torch.manual_seed(0)
    conv = ModulatedConv(8, 4, w_dim=32, resolution=14, upsample=True, noise=False).eval()
    x, w = torch.randn(3, 8, 7, 7), torch.randn(3, 32)
    out = conv(x, w)
    assert out.shape == (3, 4, 14, 14)
    # The textbook form: each sample's weights scaled by its styles, demodulated, one grouped conv.
    styles = conv.affine(w)
    weight = conv.weight * conv.scale * styles[:, None, :, None, None]  # (3, out, in, 3, 3)
    weight = weight * (weight.square().sum((2, 3, 4), keepdim=True) + 1e-8).rsqrt()
    up = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    ref = F.conv2d(up.reshape(1, -1, 14, 14), weight.reshape(-1, 8, 3, 3), padding=1, groups=3).reshape(3, 4, 14, 14)
    ref = F.leaky_relu(ref + conv.bias[None, :, None, None], 0.2) * 2**0.5
    assert torch.allclose(out, ref, atol=1e-5)


def test_eval_mode_is_deterministic_and_training_mode_draws_noise_and_mixes():
    G = Generator("stylegan", 16, 10, 8)
    z, y = torch.randn(4, 16), torch.arange(4)
    G.eval()
    assert torch.equal(G(z, y), G(z, y))
    G.train()
    assert not torch.equal(G(z, y), G(z, y))


def test_styles_are_one_w_per_layer():
    G = Generator("stylegan", 16, 10, 8).eval()
    ws = G.styles(torch.randn(5, 16), torch.arange(5))
    assert ws.shape == (5, NUM_WS, G.net.mapping.net[-1].weight.shape[0])
    assert G.synthesize(ws).shape == (5, 1, 28, 28)


def test_mixing_equal_seeds_is_plain_sampling_and_mixing_is_deterministic():
    s = style_sampler()
    assert np.array_equal(s.mix(5, 5, digit=3), s.sample(1, digits=3, seed=5)[0][0])
    grid = s.mixing_grid([1, 2, 3], [4, 5], digit=2)
    assert grid.shape == (3, 2, 28, 28)
    assert np.array_equal(grid, s.mixing_grid([1, 2, 3], [4, 5], digit=2))
    assert np.array_equal(grid[1, 0], s.mix(2, 4, digit=2))
    assert not np.array_equal(grid[0, 0], grid[0, 1])  # the fine styles do something


def test_truncation_psi_zero_draws_every_seed_as_the_digit_s_average():
    s = style_sampler()
    grid = s.mixing_grid([1, 2], [3, 4], digit=6, psi=0.0)
    assert all(np.array_equal(grid[0, 0], cell) for cell in grid.reshape(-1, 28, 28))


@pytest.mark.bad_input("cli", n=4)
def test_mixing_refuses_what_it_cannot_do():
    s = style_sampler()
    with pytest.raises(MnistganError, match="crossover must be between 1 and 5"):
        s.mix(0, 1, crossover=6)
    with pytest.raises(MnistganError, match="psi must be"):
        s.mix(0, 1, psi=3.0)
    with pytest.raises(MnistganError, match="no style layers"):
        Sampler(Generator("dcgan", 16, 10, 8).eval()).mix(0, 1)
    with pytest.raises(MnistganError, match="unconditional"):
        style_sampler(conditional=False).mix(0, 1, digit=3)
