"""The conditional generator published on the Hugging Face Hub as `mnist_cgan_generator.pth`, layer for layer.

    z (latent) ++ label_embedding(digit) (20) -> projection.0: Linear -> (2w, 7, 7)
      -> conv_blocks: BatchNorm2d, ConvT -> (w, 14, 14), BatchNorm2d, LeakyReLU(0.2), ConvT -> (1, 28, 28), Tanh

The parameter names are the original's (`label_embedding`, `projection.0`, `conv_blocks.N`),
so `mnistgan import --format cgan-mnist` maps its weights one to one. The published
model has w = 64; the latent size (50, 100 or 128 in its Optuna search) comes from the file.
mnistgan generates with it; it has no recipe to train it.
"""

from __future__ import annotations

import torch
from torch import nn

from mnistgan.errors import MnistganError

EMBED_DIM = 20  # fixed in the published code, not one of its constructor arguments
START = 7  # 28 / 4: the two stride-2 transposed convolutions double it twice


class CGANMnistGenerator(nn.Module):
    def __init__(self, latent_dim: int = 100, num_classes: int = 10, width: int = 64):
        super().__init__()
        if not num_classes:
            raise MnistganError("the cgan-mnist generator is conditional: it needs num_classes")
        self.channels = 2 * width
        self.label_embedding = nn.Embedding(num_classes, EMBED_DIM)
        self.projection = nn.Sequential(nn.Linear(latent_dim + EMBED_DIM, self.channels * START * START))
        self.conv_blocks = nn.Sequential(
            nn.BatchNorm2d(self.channels),
            nn.ConvTranspose2d(self.channels, width, 4, 2, 1),  # -> (w, 14, 14)
            nn.BatchNorm2d(width),
            nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(width, 1, 4, 2, 1),  # -> (1, 28, 28)
            nn.Tanh(),
        )

    def embed(self, labels: torch.Tensor) -> torch.Tensor:
        return self.label_embedding(labels)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.forward_embedded(z, self.embed(labels))

    def forward_embedded(self, z: torch.Tensor, label_embedding: torch.Tensor) -> torch.Tensor:
        """From a label *embedding*, so interpolation can blend between digits."""
        h = self.projection(torch.cat([z, label_embedding], dim=1))
        return self.conv_blocks(h.view(-1, self.channels, START, START))
