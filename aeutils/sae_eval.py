"""Evaluating sparse autoencoders the way the field does (Bricken et al., 2023; Gao et al., 2024).

- the sparsity / reconstruction frontier: mean L0 (:func:`mean_l0`) against the fraction of
  variance unexplained (:func:`fraction_of_variance_unexplained`), compared at matched L0
  (:func:`interpolate_at`);
- how often each latent fires (:func:`firing_rates`): dead latents never fire, dense ones fire on a
  large share of the tokens, both counted on the whole training set after every epoch
  (:class:`LatentActivity`, a ``train.fit`` callback);
- the **loss recovered** when the autoencoder's reconstruction replaces the hidden state the model
  reads (:func:`masked_loss_with`, :func:`loss_recovered`);
- what a latent means: the tokens that make it fire and the words its decoder direction promotes
  through the model's output head (:func:`promoted_tokens`, :func:`promotion_agreement`).

Shapes: activations ``x: (n, d)``; codes ``h: (n, n_latents)``; dictionaries ``(d, n_latents)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from aeutils.noise import MaskedTokens
from aeutils.validate import require_float, require_integer, require_ndim, require_same_shape


def fraction_of_variance_unexplained(x_hat: torch.Tensor, x: torch.Tensor) -> float:
    """``sum (x - x_hat)^2 / sum (x - mean(x))^2`` over ``x, x_hat: (n, d)``.

    0: perfect; 1: no better than always predicting the mean activation (Gao et al.'s
    "normalized MSE"). It can exceed 1 for a reconstruction worse than the mean.
    """
    require_float(x_hat, "x_hat")
    require_float(x, "x")
    require_same_shape(x_hat, x, ("x_hat", "x"))
    require_ndim(x, (2,), "x", "(n, d)")
    if len(x) < 2:
        raise ValueError("need at least 2 rows of x to measure its variance")
    x, x_hat = x.detach(), x_hat.detach().to(x.device)
    return float(((x - x_hat) ** 2).sum() / ((x - x.mean(0)) ** 2).sum())


def mean_l0(codes: torch.Tensor) -> float:
    """The average number of latents that fire (``> 0``) per row of ``codes: (n, n_latents)``."""
    require_ndim(codes, (2,), "codes", "(n, n_latents)")
    return float((codes.detach() > 0).sum(1).float().mean())


def firing_rates(codes: torch.Tensor) -> torch.Tensor:
    """``(n_latents,)``: the share of the rows of ``codes: (n, n_latents)`` on which each latent
    fires (``> 0``), on the CPU. 0 is a dead latent."""
    require_ndim(codes, (2,), "codes", "(n, n_latents)")
    return (codes.detach() > 0).float().mean(0).cpu()


@torch.no_grad()
def encode_all(sae: torch.nn.Module, x: torch.Tensor, batch_size: int = 8192) -> torch.Tensor:
    """``sae.encode`` over all rows of ``x: (n, d)`` in eval mode, on the CPU: ``(n, n_latents)``.
    The model's train/eval mode is restored afterwards."""
    was_training = sae.training
    sae.eval()
    where = next(sae.parameters()).device
    try:
        return torch.cat([sae.encode(x[i:i + batch_size].to(where)).cpu()
                          for i in range(0, len(x), batch_size)])
    finally:
        sae.train(was_training)


@dataclass
class LatentActivity:
    """A ``train.fit`` callback that counts dead and dense latents after every epoch.

    After each epoch it encodes the whole of ``x: (n, d)`` (the training activations, not a
    held-out slice, where a rare latent may be silent by chance) and records how many latents
    fire on no row (``dead``) and how many fire on more than ``dense_rate`` of the rows
    (``dense``). ``rates`` keeps the last epoch's :func:`firing_rates`.
    """

    x: torch.Tensor
    dense_rate: float = 0.1
    dead: list[int] = field(default_factory=list)
    dense: list[int] = field(default_factory=list)
    rates: torch.Tensor | None = None

    def __post_init__(self) -> None:
        require_float(self.x, "x")
        require_ndim(self.x, (2,), "x", "(n, d)")
        if not 0.0 < self.dense_rate < 1.0:
            raise ValueError(f"dense_rate must be in (0, 1), got {self.dense_rate}")

    def __call__(self, epoch: int, model: torch.nn.Module) -> None:
        self.rates = firing_rates(encode_all(model, self.x))
        self.dead.append(int((self.rates == 0).sum()))
        self.dense.append(int((self.rates > self.dense_rate).sum()))


def interpolate_at(l0: float, l0s: list[float], values: list[float]) -> float:
    """The value a frontier ``(l0s, values)`` has at ``l0``, interpolated linearly in log L0.

    For comparing two families of autoencoders at *matched* L0. ``l0`` must lie within the
    measured ``l0s`` (no extrapolation).
    """
    order = np.argsort(l0s)
    xs, ys = np.log(np.asarray(l0s, float)[order]), np.asarray(values, float)[order]
    if not xs[0] <= np.log(l0) <= xs[-1]:
        raise ValueError(f"L0 {l0:.3g} lies outside the measured range {np.exp(xs[0]):.3g} .. "
                         f"{np.exp(xs[-1]):.3g}: compare only where both frontiers were measured")
    return float(np.interp(np.log(l0), xs, ys))


@torch.no_grad()
def masked_loss_with(model: torch.nn.Module, masked: MaskedTokens,
                     replace: Callable[[torch.Tensor], torch.Tensor] | None = None) -> float:
    """The masked-token loss (nats) of a ``MaskedTokenDenoiser`` on ``masked``, with the hidden
    state its output head reads replaced by ``replace(h)`` at the scored positions.

    ``h: (m, dim)`` are the hidden states at the ``m`` masked positions; ``replace`` returns the
    same shape (``None``: the clean model). The head reads each position's hidden state alone, so
    replacing it at the scored positions is replacing it everywhere, as far as the loss goes.
    """
    require_integer(masked.tokens, "masked.tokens")
    if not bool(masked.mask.any()):
        raise ValueError("the mask selects no position: there is nothing to score")
    was_training = model.training
    model.eval()
    where = next(model.parameters()).device
    try:
        h = model.encode(masked.tokens.to(where))[masked.mask.to(where)]
        if replace is not None:
            replaced = replace(h)
            if replaced.shape != h.shape:
                raise ValueError(f"replace must return the hidden states' shape {tuple(h.shape)}, "
                                 f"got {tuple(replaced.shape)}")
            h = replaced.to(where)
        return float(F.cross_entropy(model.decode(h), masked.targets.to(where)[masked.mask.to(where)]))
    finally:
        model.train(was_training)


def loss_recovered(clean: float, spliced: float, ablated: float) -> float:
    """``(ablated - spliced) / (ablated - clean)``: the share of the loss gap between an ablated
    hidden state and the real one that the autoencoder's reconstruction closes (1: as good as the
    model itself; 0: no better than the ablation)."""
    if not ablated > clean:
        raise ValueError(f"the ablation's loss ({ablated:.4g}) must exceed the clean loss "
                         f"({clean:.4g}) for a loss recovered to mean anything")
    return (ablated - spliced) / (ablated - clean)


@torch.no_grad()
def promoted_tokens(head_weight: torch.Tensor, dictionary: torch.Tensor, k: int = 10,
                    exclude: int = 0) -> torch.Tensor:
    """The ``k`` tokens each latent's decoder direction raises most through a linear output head.

    head_weight: ``(vocab, d)`` the head's weight (its bias is the same for every latent);
    dictionary: ``(d, n_latents)`` decoder columns. Ids below ``exclude`` (special tokens) are
    never listed. Returns ``(n_latents, k)`` int64 ids, strongest first.
    """
    require_float(head_weight, "head_weight")
    require_float(dictionary, "dictionary")
    if head_weight.ndim != 2 or dictionary.ndim != 2 or head_weight.shape[1] != dictionary.shape[0]:
        raise ValueError(f"need head_weight (vocab, d) and dictionary (d, n_latents), got "
                         f"{tuple(head_weight.shape)} and {tuple(dictionary.shape)}")
    logits = (head_weight.detach().cpu() @ dictionary.detach().cpu()).T   # (n_latents, vocab)
    logits[:, :exclude] = -torch.inf
    return logits.topk(k, dim=1).indices


def top_rows(codes: torch.Tensor, n: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """Per latent, the ``n`` rows of ``codes: (m, n_latents)`` on which it fires most:
    ``(values, rows)``, both ``(n, n_latents)``, strongest first (values may be 0 for a latent
    that fires on fewer than ``n`` rows)."""
    require_ndim(codes, (2,), "codes", "(m, n_latents)")
    if not 1 <= n <= len(codes):
        raise ValueError(f"n must be in 1..{len(codes)}, got {n}")
    return codes.detach().cpu().topk(n, dim=0)


def promotion_agreement(codes: torch.Tensor, targets: torch.Tensor, promoted: torch.Tensor,
                        n: int = 10) -> torch.Tensor:
    """For each latent that fires on at least ``n`` rows: the share of its ``n`` strongest rows
    whose true token is among the tokens its decoder direction promotes.

    codes: ``(m, n_latents)`` codes at ``m`` masked positions; targets: ``(m,)`` the hidden
    tokens there; promoted: ``(n_latents, k)`` from :func:`promoted_tokens`. Returns ``(n_latents,)``
    float, NaN for latents that fire on fewer than ``n`` rows.
    """
    require_integer(targets, "targets")
    if targets.shape != codes.shape[:1] or promoted.shape[0] != codes.shape[1]:
        raise ValueError(f"need codes (m, n_latents), targets (m,), promoted (n_latents, k); got "
                         f"{tuple(codes.shape)}, {tuple(targets.shape)}, {tuple(promoted.shape)}")
    values, rows = top_rows(codes, n)
    tokens = targets.cpu()[rows]                                  # (n, n_latents)
    hit = (tokens.T.unsqueeze(-1) == promoted.cpu().unsqueeze(1)).any(-1).float()  # (n_latents, n)
    agreement = hit.mean(1)
    agreement[(values[-1] <= 0)] = torch.nan
    return agreement


def word_purity(codes: torch.Tensor, tokens: torch.Tensor, n: int = 20) -> torch.Tensor:
    """For each latent, the share of its ``n`` strongest rows that carry its most common token.

    codes: ``(m, n_latents)``; tokens: ``(m,)`` the token of each row (the visible one, or the
    hidden one at a ``[MASK]``). Returns ``(n_latents,)`` in [0, 1]; 0 for a latent that fires on
    fewer than ``n`` rows. 1 means a "this word" detector.
    """
    require_integer(tokens, "tokens")
    if tokens.shape != codes.shape[:1]:
        raise ValueError(f"tokens must be ({len(codes)},), one per row of codes, got "
                         f"{tuple(tokens.shape)}")
    values, rows = top_rows(codes, n)
    top = tokens.cpu()[rows]                                      # (n, n_latents)
    mode = top.mode(dim=0).values
    return (top == mode).float().mean(0) * (values[-1] > 0)


def masked_contexts(activations: torch.Tensor, masked: MaskedTokens, tokenizer, n: int = 6,
                    width: int = 3) -> list[tuple[float, str]]:
    """The ``n`` tokens of ``masked.tokens`` on which one latent fires most, with ``width`` words
    either side, a hidden word shown as ``[MASK:word]`` (what the model had to guess there).

    activations: ``(n_blocks * length,)`` the latent at every token of ``masked.tokens: (n_blocks,
    length)`` (0 where it was not read). Returns ``[(activation, text)]``, strongest first, only
    where it fires (> 0).
    """
    blocks = masked.tokens
    length = blocks.shape[1]
    if activations.ndim != 1 or len(activations) != blocks.numel():
        raise ValueError(f"activations must be ({blocks.numel()},), one per token of "
                         f"masked.tokens, got {tuple(activations.shape)}")
    values, index = activations.detach().cpu().topk(min(n, len(activations)))
    shown = []
    for value, i in zip(values.tolist(), index.tolist()):
        if value <= 0:
            break
        block, j = divmod(i, length)
        lo = max(0, j - width)
        words = []
        for pos in range(lo, min(length, j + width + 1)):
            word = tokenizer.itos[int(blocks[block, pos])]
            if bool(masked.mask[block, pos]) and int(blocks[block, pos]) == tokenizer.MASK:
                word = f"[MASK:{tokenizer.itos[int(masked.targets[block, pos])]}]"
            words.append(f"<{word}>" if pos == j else word)
        shown.append((value, " ".join(words)))
    return shown
