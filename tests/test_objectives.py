import math

import pytest
import torch

from mnistgan.objectives import (R1, R2, GradientPenalty, Hinge, NonSaturatingBCE, ObjectiveOptions, RelativisticPairing,
                                 Wasserstein, gradient_penalty, make_objective)


def test_bce_at_zero_logits_is_log2_per_term():
    zero = torch.zeros(5)
    assert math.isclose(NonSaturatingBCE().d_loss(zero, zero).item(), 2 * math.log(2), rel_tol=1e-6)
    assert math.isclose(NonSaturatingBCE().g_loss(zero).item(), math.log(2), rel_tol=1e-6)


def test_label_smoothing_changes_the_real_target():
    big = torch.full((3,), 20.0)
    assert NonSaturatingBCE(real_label=1.0).d_loss(big, -big).item() < 1e-6
    assert NonSaturatingBCE(real_label=0.9).d_loss(big, -big).item() > 1.0  # 0.1 * 20


def test_hinge_and_wasserstein_values():
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.0])
    assert Hinge().d_loss(real, fake).item() == (0 + 0.5) / 2 + (0 + 1) / 2
    assert Hinge().g_loss(fake).item() == 1.0
    assert Wasserstein().d_loss(real, fake).item() == -1.0 - 1.25


def test_gradient_penalty_is_zero_for_a_unit_slope_critic():
    w = torch.zeros(1, 1, 28, 28)
    w[0, 0, 0, 0] = 1.0  # D(x) = x[0,0,0,0]: gradient norm exactly 1 everywhere
    D = lambda x, y: (x * w).flatten(1).sum(1)  # noqa: E731
    gp = gradient_penalty(D, torch.randn(4, 1, 28, 28), torch.randn(4, 1, 28, 28), None)
    assert gp.item() < 1e-12


def test_relativistic_pairing_loss_on_known_logits():
    real, fake = torch.tensor([2.0, 0.0]), torch.tensor([1.0, 3.0])
    softplus = lambda v: math.log1p(math.exp(v))  # noqa: E731
    rp = RelativisticPairing()
    assert math.isclose(rp.d_loss(real, fake).item(), (softplus(1 - 2) + softplus(3 - 0)) / 2, rel_tol=1e-6)
    assert math.isclose(rp.g_loss(fake, real).item(), (softplus(2 - 1) + softplus(0 - 3)) / 2, rel_tol=1e-6)
    assert rp.g_needs_real and not NonSaturatingBCE().g_needs_real


def test_r1_and_r2_penalties_by_hand():
    # D(x) = sum(a * x^2) / 2 per sample: grad_x D = a * x, so ||grad||^2 = sum(a^2 x^2).
    a = torch.full((1, 1, 28, 28), 0.5)
    D = lambda x, y: (a * x.square()).flatten(1).sum(1) / 2  # noqa: E731
    real, fake = torch.full((3, 1, 28, 28), 2.0), torch.full((3, 1, 28, 28), -1.0)
    by_hand_real = (0.5 * 2.0) ** 2 * 28 * 28  # per sample, the same for all three
    by_hand_fake = (0.5 * 1.0) ** 2 * 28 * 28
    assert math.isclose(R1(gamma=4.0)(D, real, fake, None).item(), 4.0 / 2 * by_hand_real, rel_tol=1e-6)
    assert math.isclose(R2(gamma=4.0)(D, real, fake, None).item(), 4.0 / 2 * by_hand_fake, rel_tol=1e-6)


def test_penalties_train_d_through_its_weights():
    D = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 1), torch.nn.Flatten(0))
    critic = lambda x, y: D(x)  # noqa: E731
    R1(gamma=1.0)(critic, torch.randn(4, 1, 28, 28), torch.randn(4, 1, 28, 28), None).backward()
    assert D[1].weight.grad is not None and D[1].weight.grad.abs().sum() > 0


def test_the_registry_builds_each_objective_with_its_regularizers():
    assert make_objective("wgan-gp", ObjectiveOptions(gp_weight=5.0)).regularizers == (GradientPenalty(5.0),)
    assert make_objective("rpgan", ObjectiveOptions(r1_gamma=0.1, r2_gamma=0.2)).regularizers == (R1(0.1), R2(0.2))
    assert make_objective("bce", ObjectiveOptions(label_smoothing=0.9)).real_label == 0.9
    assert make_objective("hinge").regularizers == ()
    with pytest.raises(ValueError, match="unknown objective 'nope'; known: bce"):
        make_objective("nope")
