import pytest
import torch

from mnistgan.models import PRESETS, Generator, build_discriminator, count_parameters, discriminator_for, get_preset
from mnistgan.errors import MnistganError


def test_mlp_gan_matches_the_published_parameter_counts():
    assert count_parameters(Generator("mlp", 100, 0, 256)) == 1_489_936
    assert count_parameters(build_discriminator("mlp", 0, 256)) == 1_460_225


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_builds_and_maps_noise_to_digit_shaped_images(name):
    p = PRESETS[name]
    classes = 10 if p.conditional else 0
    G = Generator(p.arch, 16, classes, 8)
    D = discriminator_for(p, 8)
    z, y = torch.randn(4, 16), torch.tensor([0, 3, 7, 9])
    x = G(z, y)
    assert x.shape == (4, 1, 28, 28) and x.min() >= -1 and x.max() <= 1
    # conditional: a realism logit plus 10 class logits (AC-GAN head) for the DCGAN family
    expected = (4, 11) if p.conditional and p.arch == "dcgan" else (4,)
    assert D(x, y if p.conditional else None).shape == expected


@pytest.mark.bad_input("cli")
def test_unknown_preset_is_a_clear_error():
    with pytest.raises(MnistganError, match="unknown preset 'nope'; choose one of: mlp-gan"):
        get_preset("nope")


def test_wgan_gp_critic_has_no_batchnorm():
    D = build_discriminator("dcgan", 0, 8, PRESETS["wgan-gp"].d_norm)
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in D.modules())


def test_minibatch_std_groups_never_mix_the_real_and_fake_halves():
    from mnistgan.models.dcgan import MinibatchStd

    real, fake = torch.zeros(8, 2, 7, 7), torch.randn(8, 2, 7, 7)
    out = MinibatchStd(group=4)(torch.cat([real, fake]))
    assert out.shape == (16, 3, 7, 7)
    assert out[:8, 2].max() < 2e-4 and out[8:, 2].min() > 0.1  # identical reals: no spread (sqrt of the 1e-8 floor)
