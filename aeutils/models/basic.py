"""Bottleneck autoencoders: linear (the PCA twin), MLP and convolutional."""

from __future__ import annotations

import torch
from torch import nn

from aeutils import losses
from aeutils.models.base import Autoencoder, mlp

OUTPUTS = {"sigmoid": nn.Sigmoid, "linear": nn.Identity}


def _output(name: str) -> nn.Module:
    if name not in OUTPUTS:
        raise ValueError(f"output must be one of {sorted(OUTPUTS)}, got {name!r}")
    return OUTPUTS[name]()


class LinearAutoencoder(Autoencoder):
    """``h = W1 x + b1``, ``x_hat = W2 h + b2``.

    Trained with MSE it reaches PCA's reconstruction error and its decoder columns span the
    principal subspace, but any invertible mix of the principal directions is just as good, so it
    need not return the directions themselves. A small L2 penalty ``l2 * (|W1|^2 + |W2|^2)`` breaks
    that symmetry down to rotations of the code, and the decoder's left singular vectors become the
principal directions (Kunin et al., 2019): see :meth:`principal_directions`.

    Its training recipe is full-batch L-BFGS (``recommended_fit``, used by ``train.fit(model, x)``
    when no optimizer or batch size is given): after its default 20 epochs, mini-batch Adam leaves
    it far above PCA's error, while 20 L-BFGS steps reach it.
    """

    recommended_fit = {"optimizer": "lbfgs", "batch_size": None, "epochs": 20}

    def __init__(self, input_shape: int | tuple[int, ...], code_size: int, l2: float = 0.0):
        super().__init__(input_shape, code_size)
        if l2 < 0:
            raise ValueError(f"l2 must be >= 0, got {l2}")
        self.l2 = l2
        self.encoder = nn.Linear(self.input_dim, code_size)
        self.decoder = nn.Linear(code_size, self.input_dim)

    def encode_flat(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode_flat(self, h: torch.Tensor) -> torch.Tensor:
        return self.decoder(h)

    def decoder_basis(self) -> torch.Tensor:
        """The decoder's columns ``W2: (D, code_size)``: they span the learned subspace."""
        return self.decoder.weight.detach()

    def principal_directions(self) -> torch.Tensor:
        """Left singular vectors of the decoder, ``(D, code_size)``, largest singular value first.

        With ``l2 > 0`` these are the principal directions themselves (up to sign); without it they
        are only some orthonormal basis of the principal subspace.
        """
        u, _, _ = torch.linalg.svd(self.decoder_basis(), full_matrices=False)
        return u

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        penalty = self.encoder.weight.pow(2).sum() + self.decoder.weight.pow(2).sum()
        return losses.mse(self(x).x_hat, x) + self.l2 * penalty


class MLPAutoencoder(Autoencoder):
    """A nonlinear bottleneck: ``D -> hidden... -> code_size -> ...hidden -> D``.

    ``output="sigmoid"`` keeps reconstructions in [0, 1] (for images); ``"linear"`` does not.
    """

    def __init__(self, input_shape: int | tuple[int, ...], code_size: int,
                 hidden: tuple[int, ...] = (256,), output: str = "sigmoid"):
        super().__init__(input_shape, code_size)
        hidden = tuple(hidden)
        self.encoder = mlp([self.input_dim, *hidden, code_size])
        self.decoder = nn.Sequential(mlp([code_size, *reversed(hidden), self.input_dim]),
                                     _output(output))

    def encode_flat(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode_flat(self, h: torch.Tensor) -> torch.Tensor:
        return self.decoder(h)


class ConvAutoencoder(Autoencoder):
    """Two stride-2 convolutions down to a ``code_size`` vector, and transposed convolutions back.

    ``input_shape = (channels, H, W)`` with H and W divisible by 4 (8x8 digits, 28x28 MNIST).
    """

    def __init__(self, input_shape: tuple[int, int, int] = (1, 28, 28), code_size: int = 16,
                 channels: tuple[int, int] = (16, 32), output: str = "sigmoid"):
        super().__init__(input_shape, code_size)
        if len(self.input_shape) != 3 or self.input_shape[1] % 4 or self.input_shape[2] % 4:
            raise ValueError(
                f"ConvAutoencoder needs input_shape (channels, H, W) with H, W divisible by 4, "
                f"got {self.input_shape}")
        c, height, width = self.input_shape
        c1, c2 = channels
        self.grid = (c2, height // 4, width // 4)
        flat = c2 * (height // 4) * (width // 4)
        self.encoder = nn.Sequential(
            nn.Conv2d(c, c1, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(flat, code_size))
        self.decoder = nn.Sequential(
            nn.Linear(code_size, flat), nn.ReLU(), nn.Unflatten(1, self.grid),
            nn.ConvTranspose2d(c2, c1, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c1, c, 3, stride=2, padding=1, output_padding=1), _output(output))

    def encode_flat(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x.reshape(len(x), *self.input_shape))

    def decode_flat(self, h: torch.Tensor) -> torch.Tensor:
        return self.decoder(h).reshape(len(h), -1)
