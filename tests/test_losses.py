import math

import torch

from mnistgan.objectives import Hinge, NonSaturatingBCE, Wasserstein, gradient_penalty


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
