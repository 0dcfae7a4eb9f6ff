"""A tiny BERT: a transformer encoder trained to fill in masked tokens (a denoising autoencoder
for text)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from aeutils import noise
from aeutils.models.base import AEOutput, CourseModel
from aeutils.validate import require_integer, require_ndim, value_range


class MaskedTokenDenoiser(CourseModel):
    """Token + position embeddings -> transformer encoder -> per-position vocabulary scores.

    ``encode(tokens: (batch, length) int64) -> h: (batch, length, dim)``;
    ``decode(h) -> logits: (batch, length, vocab_size)``.
    ``loss(tokens)`` corrupts the tokens with ``noise.bert_mask`` at ``rate`` (15%, 80/10/10) and
    scores only the selected positions. With ``rate=0`` it trains on the copy task instead
    (predict every token from an uncorrupted input), which is trivial to solve and teaches nothing.

    In the course's one interface, ``input_shape = (max_len,)`` (the longest sequence) and
    ``code_size = dim`` (one code per token). Its recipe (``recommended_fit``) is fit's Adam at
    lr 1e-2: on lecture 05's prose, fit's default 3e-3 for 20 epochs left the masked-token accuracy
    at 8.9% (a 2-layer, 64-wide model; 7.5% for a 1-layer, 32-wide one) against 7.0% for always
    guessing the most frequent word; 1e-2 reached 10.0% (9.6%).
    """

    recommended_fit = {"lr": 1e-2}

    def __init__(self, vocab_size: int, max_len: int = 64, dim: int = 64, heads: int = 4,
                 layers: int = 2, mask_id: int = 2, num_special: int = 4, rate: float = 0.15,
                 dropout: float = 0.0, generator: torch.Generator | None = None,
                 neighbour_kernel: int = 0, tie_embeddings: bool = False):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim={dim} must be divisible by heads={heads}")
        self.vocab_size, self.max_len, self.dim = vocab_size, max_len, dim
        self.set_shapes((max_len,), dim)  # the longest sequence; one dim-wide code per token
        self.mask_id, self.num_special, self.rate = mask_id, num_special, rate
        self.generator = generator
        self.token_embedding = nn.Embedding(vocab_size, dim)
        self.position_embedding = nn.Embedding(max_len, dim)
        layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=4 * dim, dropout=dropout,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.transformer = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab_size)
        if neighbour_kernel < 0 or (neighbour_kernel and neighbour_kernel % 2 == 0):
            raise ValueError(f"neighbour_kernel must be 0 (off) or odd, got {neighbour_kernel}")
        self.neighbour_kernel = neighbour_kernel
        self.neighbours = (nn.Conv1d(dim, dim, neighbour_kernel, padding=neighbour_kernel // 2)
                           if neighbour_kernel else None)
        if tie_embeddings:
            self.head.weight = self.token_embedding.weight

    def _check(self, tokens: torch.Tensor) -> None:
        require_integer(tokens, "tokens")
        require_ndim(tokens, (2,), "tokens", "(batch, length)")
        if tokens.shape[1] > self.max_len:
            raise ValueError(f"sequences are {tokens.shape[1]} tokens long; max_len is {self.max_len}")
        known = value_range(tokens)  # in fit: the training set's range, read once
        if known is not None and (known[0] < 0 or known[1] >= self.vocab_size):
            raise ValueError(f"token ids must be in 0..{self.vocab_size - 1}")

    def encode(self, tokens: torch.Tensor) -> torch.Tensor:
        self._check(tokens)
        return self._encode(tokens)

    def _encode(self, tokens: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        h = self.token_embedding(tokens) + self.position_embedding(positions)
        if self.neighbours is not None:  # (batch, length, dim) -> conv over length -> back
            h = h + self.neighbours(h.transpose(1, 2)).transpose(1, 2)
        return self.norm(self.transformer(h))

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        return self.head(h)

    def forward(self, tokens: torch.Tensor) -> AEOutput:
        h = self.encode(tokens)
        return AEOutput(h, self.decode(h))

    def loss(self, tokens: torch.Tensor) -> torch.Tensor:
        if self.rate == 0:  # every position is scored: masked_token_loss with an all-True mask
            logits = self(tokens).x_hat
            return F.cross_entropy(logits.flatten(0, 1), tokens.flatten())
        self._check(tokens)
        corrupted = noise.bert_mask(tokens, self.mask_id, self.vocab_size, self.rate,
                                    self.generator, self.num_special)
        # Same value as losses.masked_token_loss(self(...).x_hat, targets, mask), but the vocabulary
        # head runs only on the ~15% of positions that are scored (a third less training time).
        # The corrupted ids are valid ids by construction: no second check. A batch with nothing
        # selected gives 0 (sum over no positions / 1), without asking the device whether it is.
        h = self._encode(corrupted.tokens)
        scored = F.cross_entropy(self.decode(h[corrupted.mask]), corrupted.targets[corrupted.mask],
                                 reduction="sum")
        return scored / corrupted.mask.sum().clamp_min(1)
