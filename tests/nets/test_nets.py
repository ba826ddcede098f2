import pytest
import torch

from mnistgan.nets import Generator, build_discriminator, count_parameters
from mnistgan.presets import PRESETS, discriminator_for, generator_for, get_preset
from mnistgan.errors import MnistganError


def test_mlp_gan_matches_the_published_parameter_counts():
    assert count_parameters(Generator("mlp", 100, 0, 256)) == 1_489_936
    assert count_parameters(build_discriminator("mlp", 0, 256)) == 1_460_225


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_builds_and_maps_noise_to_digit_shaped_images(name):
    p = PRESETS[name]
    G = generator_for(p, 16, 8)
    D = discriminator_for(p, 8)
    z, y = torch.randn(4, 16), torch.tensor([0, 3, 7, 9])
    x = G(z, y)
    assert x.shape == (4, 1, 28, 28) and x.min() >= -1 and x.max() <= 1
    # conditional: a realism logit plus 10 class logits (AC-GAN head) for D of the DCGAN family
    expected = (4, 11) if p.conditional and p.arch in ("dcgan", "stylegan") else (4,)
    assert D(x, y if p.conditional else None).shape == expected


@pytest.mark.bad_input("cli")
def test_unknown_preset_is_a_clear_error():
    with pytest.raises(MnistganError, match="unknown preset 'nope'; choose one of: mlp-gan"):
        get_preset("nope")


def test_wgan_gp_critic_has_no_batchnorm():
    D = build_discriminator("dcgan", 0, 8, d_norm=PRESETS["wgan-gp"].d_norm)
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in D.modules())


def test_minibatch_std_groups_never_mix_the_real_and_fake_halves():
    from mnistgan.nets.layers import MinibatchStd

    real, fake = torch.zeros(8, 2, 7, 7), torch.randn(8, 2, 7, 7)
    out = MinibatchStd(group=4)(torch.cat([real, fake]))
    assert out.shape == (16, 3, 7, 7)
    assert out[:8, 2].max() < 2e-4 and out[8:, 2].min() > 0.1  # identical reals: no spread (sqrt of the 1e-8 floor)


@pytest.mark.parametrize("d_norm", ["batch", "spectral", "none"])
def test_label_planes_as_a_per_class_map_equal_the_concatenated_planes(d_norm):
    """The conditional D's first conv skips the 10 constant label planes; the function is the same."""
    torch.manual_seed(0)
    D = build_discriminator("dcgan", 10, 8, d_norm=d_norm, minibatch_std=True).eval()
    x, y = torch.randn(8, 1, 28, 28), torch.randint(0, 10, (8,))
    planes = torch.nn.functional.one_hot(y, 10).float()[:, :, None, None].expand(-1, -1, 28, 28)
    with torch.no_grad():
        h = D.features(torch.cat([x, planes], 1))  # the plain cGAN way: an 11-channel image
        expected = D.head(D.mbstd(h).flatten(1))
        assert torch.allclose(D(x, y), expected, atol=1e-5)


def test_label_norm_generator_draws_different_digits_from_the_same_noise_and_round_trips(tmp_path):
    from mnistgan.nets import load_generator

    torch.manual_seed(0)
    G = Generator("dcgan", 16, 10, 8, label_norm=True)
    for m in G.modules():  # LabelNorm starts as plain BatchNorm; give each digit its own scale and shift
        if hasattr(m, "scale"):
            torch.nn.init.normal_(m.scale.weight)
            torch.nn.init.normal_(m.shift.weight)
    G.eval()
    z = torch.randn(1, 16).expand(2, -1)
    a, b = G(z, torch.tensor([3, 8]))
    assert (a - b).abs().max() > 0.1
    G.save_pretrained(tmp_path)
    again = load_generator(tmp_path)
    assert again.label_norm and torch.equal(again(z, torch.tensor([3, 8])), G(z, torch.tensor([3, 8])))


def test_label_norm_needs_a_conditional_dcgan():
    with pytest.raises(MnistganError, match="label_norm needs a conditional dcgan"):
        Generator("mlp", 16, 10, 8, label_norm=True)


def test_fast_dropout_keeps_the_expected_fraction_and_the_mean():
    from mnistgan.nets.layers import FastDropout

    torch.manual_seed(0)
    x = torch.ones(400, 1000, requires_grad=True)
    out = FastDropout(0.3)(x)
    kept = (out > 0).float().mean().item()
    assert abs(kept - 0.7) < 0.005  # 400k draws: 5 sigma is ~0.004
    assert abs(out.mean().item() - 1.0) < 0.01  # kept units are scaled by 1 / keep probability
    out.sum().backward()
    assert torch.equal(x.grad, out.detach())  # the gradient passes exactly where the unit was kept, scaled alike
    # Each 64-bit draw feeds eight neighbours: none of the eight positions is biased (50k draws each, 5 sigma ~0.01).
    kept_by_lane = (out.detach() > 0).reshape(-1, 8).float().mean(0)
    assert abs(kept_by_lane - 0.7).max() < 0.012, kept_by_lane
    assert torch.equal(FastDropout(0.3).eval()(x), x)
