"""gan.py: the losses of one step and the EMA, on tiny models."""

import pytest
import torch

from mnistgan.gan import GAN, GANConfig
from mnistgan.presets import PRESETS

TINY = dict(latent_dim=16, g_width=8, d_width=8)


@pytest.mark.parametrize("name", list(PRESETS))
def test_losses_are_scalars_and_d_stats_are_means(name):
    gan = GAN(GANConfig(preset=name, **TINY))
    real, labels = torch.rand(8, 1, 28, 28) * 2 - 1, torch.arange(8) % 10
    fake = gan.G(torch.randn(8, 16), labels)
    loss_d, stats = gan.d_loss(real, fake.detach(), labels)
    assert loss_d.shape == () and torch.isfinite(loss_d)
    assert set(stats) == {"d_real", "d_fake"}
    loss_g = gan.g_loss(fake, real, labels)
    loss_g.backward()
    assert all(p.grad is not None for p in gan.G.parameters())


def test_d_is_fused_only_without_batchnorm():
    assert not GAN(GANConfig(preset="dcgan", **TINY)).fuse_d  # BatchNorm in D
    assert GAN(GANConfig(preset="wgan-gp", **TINY)).fuse_d


def test_ema_decay_ramps_up_and_is_capped():
    gan = GAN(GANConfig(preset="dcgan", ema_decay=0.99, **TINY))
    assert gan.ema_decay(1) == pytest.approx(2 / 11)
    assert gan.ema_decay(10_000) == 0.99
    assert float(gan.ema_decay(torch.tensor(1.0))) == pytest.approx(2 / 11)  # the CUDA-graph form agrees


def test_update_ema_moves_g_ema_toward_g_by_one_minus_decay():
    gan = GAN(GANConfig(preset="mlp-gan", **TINY))
    with torch.no_grad():
        for p in gan.G.parameters():
            p.add_(1.0)
    before = [p.clone() for p in gan.G_ema.parameters()]
    gan.update_ema(0.75)
    for b, e, g in zip(before, gan.G_ema.parameters(), gan.G.parameters()):
        assert torch.allclose(e, b + 0.25 * (g - b))
    as_tensor = GAN(GANConfig(preset="mlp-gan", **TINY))
    as_tensor.load_state_dict(gan.state_dict())
    gan.update_ema(0.5)
    as_tensor.update_ema(torch.tensor(0.5))
    for a, b in zip(gan.G_ema.parameters(), as_tensor.G_ema.parameters()):
        assert torch.allclose(a, b)


def test_config_takes_the_gan_fields_of_a_train_config():
    from mnistgan.config import resolve

    cfg = resolve("wgan-gp", latent_dim=16, gp_weight=3.0)
    gan_cfg = GANConfig.from_options(cfg)
    assert (gan_cfg.preset, gan_cfg.latent_dim, gan_cfg.gp_weight) == ("wgan-gp", 16, 3.0)


def test_lazy_regularization_skips_the_penalty_and_weighs_it_more_when_it_runs():
    torch.manual_seed(0)
    every_step = GAN(GANConfig(preset="r3gan", r1_gamma=1.0, r2_gamma=1.0, **TINY))
    lazy = GAN(GANConfig(preset="r3gan", r1_gamma=1.0, r2_gamma=1.0, reg_every=4, **TINY))
    lazy.load_state_dict(every_step.state_dict())
    real, labels = torch.rand(8, 1, 28, 28) * 2 - 1, torch.arange(8) % 10
    fake = every_step.G(torch.randn(8, 16), labels).detach()
    plain, _ = every_step.d_loss(real, fake, labels, penalize=False)
    penalized, _ = every_step.d_loss(real, fake, labels)
    lazy_penalized, _ = lazy.d_loss(real, fake, labels)
    assert torch.allclose(lazy.d_loss(real, fake, labels, penalize=False)[0], plain)
    assert torch.allclose(lazy_penalized - plain, 4 * (penalized - plain), rtol=1e-4)
