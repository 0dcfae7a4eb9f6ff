"""Autoencoders of the course. Every one has ``encode(x) -> h``, ``decode(h) -> x_hat``,
``forward(x) -> (h, x_hat)`` and ``loss(x)``, its own training objective, which ``aeutils.train.fit``
minimizes."""

from aeutils.models.base import AEOutput, Autoencoder
from aeutils.models.basic import ConvAutoencoder, LinearAutoencoder, MLPAutoencoder
from aeutils.models.bert import MaskedTokenDenoiser
from aeutils.models.denoising import DenoisingAutoencoder
from aeutils.models.sparse import SparseAutoencoder
from aeutils.models.vae import VAE, VAEOutput

__all__ = [
    "AEOutput",
    "Autoencoder",
    "LinearAutoencoder",
    "MLPAutoencoder",
    "ConvAutoencoder",
    "SparseAutoencoder",
    "DenoisingAutoencoder",
    "MaskedTokenDenoiser",
    "VAE",
    "VAEOutput",
]
