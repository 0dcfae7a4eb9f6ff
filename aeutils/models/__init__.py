"""Autoencoders of the course. Every one follows one interface (:class:`AutoencoderModel`, shared
through the base class :class:`CourseModel`): ``encode(x) -> h``, ``decode(h) -> x_hat``,
``forward(x) -> (h, x_hat)``, ``loss(x)``, its own training objective, which ``aeutils.train.fit``
minimizes, and ``input_shape``, ``input_dim``, ``code_size``."""

from aeutils.models.base import AEOutput, Autoencoder, AutoencoderModel, CourseModel
from aeutils.models.basic import ConvAutoencoder, LinearAutoencoder, MLPAutoencoder
from aeutils.models.bert import MaskedTokenDenoiser
from aeutils.models.denoising import DenoisingAutoencoder
from aeutils.models.sparse import SparseAutoencoder
from aeutils.models.toy import SuperpositionToyModel
from aeutils.models.vae import VAE, VAEOutput

__all__ = [
    "AEOutput",
    "Autoencoder",
    "AutoencoderModel",
    "CourseModel",
    "LinearAutoencoder",
    "MLPAutoencoder",
    "ConvAutoencoder",
    "SparseAutoencoder",
    "SuperpositionToyModel",
    "DenoisingAutoencoder",
    "MaskedTokenDenoiser",
    "VAE",
    "VAEOutput",
]
