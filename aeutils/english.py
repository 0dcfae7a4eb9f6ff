"""The course's masked-token model of English (lecture 05), as one recipe that lecture 08 reuses.

:func:`prose_data` cuts the English prose of Python's help text (``data.prose_corpus``) into
blocks and holds out a random tenth of them; :data:`MODEL` and :data:`FIT` are lecture 05's model
and training settings; :func:`masked_model` builds the untrained model and
:func:`trained_masked_model` returns it trained, from a cache it writes itself (in
``data.cache_dir()``) so that a second notebook need not train it again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import torch

from aeutils import data, models, rng, train
from aeutils.runtime import device as default_device
from aeutils.runtime import seed_everything

# The model: a 2-layer transformer of width 64 whose input also mixes each token with its two
# neighbours on each side (a width-5 convolution), and whose output layer reuses the input
# embedding (as BERT does). Both let it learn word statistics from 37k tokens in seconds.
MODEL = dict(dim=64, heads=4, layers=2, neighbour_kernel=5, tie_embeddings=True)
FIT = dict(epochs=30, batch_size=64, lr=4e-2)
BLOCK_LEN, MAX_VOCAB, SEED = 32, 1000, 0


@dataclass
class ProseData:
    """Tokenized English prose: ``train_blocks``, ``test_blocks``: (n, block_len) int64."""

    tokenizer: data.Tokenizer
    train_blocks: torch.Tensor
    test_blocks: torch.Tensor


def prose_data(block_len: int = BLOCK_LEN, max_vocab: int = MAX_VOCAB, seed: int = SEED,
               test_fraction: float = 0.1) -> ProseData:
    """Word tokens of ``data.prose_corpus()`` in blocks of ``block_len``; a random
    ``test_fraction`` of the blocks (drawn with ``seed``) is held out."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    text = data.prose_corpus()
    tokenizer = data.Tokenizer.fit(text, level="word", max_vocab=max_vocab)
    blocks = data.token_blocks(tokenizer.encode(text), block_len)
    order = rng.randperm(len(blocks), rng.generator(seed))
    n_test = int(len(blocks) * test_fraction)
    return ProseData(tokenizer, blocks[order[n_test:]], blocks[order[:n_test]])


def masked_model(prose: ProseData, rate: float = 0.15, seed: int = SEED,
                 **overrides) -> models.MaskedTokenDenoiser:
    """Lecture 05's untrained ``MaskedTokenDenoiser`` for ``prose`` (``overrides`` change
    :data:`MODEL`'s settings); its masking generator is seeded with ``seed``."""
    tok = prose.tokenizer
    return models.MaskedTokenDenoiser(
        tok.vocab_size, max_len=prose.train_blocks.shape[1], mask_id=tok.MASK,
        num_special=tok.num_special, rate=rate, generator=rng.generator(seed),
        **{**MODEL, **overrides})


def _cache_key(prose: ProseData, seed: int = SEED) -> str:
    recipe = dict(MODEL, **FIT, block_len=prose.train_blocks.shape[1], vocab=prose.tokenizer.itos,
                  n_train=len(prose.train_blocks), first=prose.train_blocks[0].tolist(),
                  seed=seed, torch=torch.__version__)
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def trained_masked_model(prose: ProseData | None = None, device: torch.device | str | None = None,
                         cache: bool = True, quiet: bool = True,
                         seed: int = SEED) -> models.MaskedTokenDenoiser:
    """Lecture 05's masked-token model, trained on ``prose`` (default :func:`prose_data`) with
    :data:`FIT`, in eval mode on ``device`` (default ``aeutils.device()``).

    With ``cache`` the trained weights are kept in ``data.cache_dir()``, under a name that
    changes with the recipe, the data and the torch version; a later call loads them instead of
    training again (the same seeds give the same weights, so it returns the same model).
    ``seed`` seeds the initial weights, the masking and the shuffling (lecture 05: :data:`SEED`).
    """
    prose = prose or prose_data()
    where = torch.device(device) if device is not None else default_device()
    path = data.cache_dir() / f"masked_model_{_cache_key(prose, seed)}.pt"
    seed_everything(seed)
    model = masked_model(prose, seed=seed)
    if cache and path.exists():
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return model.to(where).eval()
    # shuffled as lecture 05 does (fit's default seed, 0) when ``seed`` is lecture 05's
    train.fit(model, prose.train_blocks, **FIT, device=where, quiet=quiet, seed=seed - SEED,
              desc="masked-token model (lecture 05)")
    if cache:
        remember(model, prose, seed)
    return model.eval()


def remember(model: models.MaskedTokenDenoiser, prose: ProseData, seed: int = SEED) -> None:
    """Cache ``model`` as the result of :func:`trained_masked_model` for ``prose`` and ``seed``.

    Only for a model built by ``masked_model(prose, seed=seed)`` after ``seed_everything(seed)``
    and trained with ``train.fit(model, prose.train_blocks, **FIT, seed=seed - SEED)`` (lecture 05
    does exactly that with ``seed = SEED``), so that a later notebook loads it instead of training
    the same model again. A model trained with another seed is cached under that seed, never as
    lecture 05's.
    """
    path = data.cache_dir() / f"masked_model_{_cache_key(prose, seed)}.pt"
    partial = path.with_suffix(".tmp")
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, partial)
    partial.replace(path)  # never leave a half-written cache behind


@torch.no_grad()
def hidden_states(model: models.MaskedTokenDenoiser, blocks: torch.Tensor,
                  batch_size: int = 256) -> torch.Tensor:
    """The model's hidden state at every token: ``blocks: (n, length)`` -> ``(n * length, dim)``
    on the blocks' device (row ``i * length + j`` is token ``j`` of block ``i``)."""
    was_training = model.training
    model.eval()
    where = next(model.parameters()).device
    parts = [model.encode(blocks[i:i + batch_size].to(where))
             for i in range(0, len(blocks), batch_size)]
    model.train(was_training)
    return torch.cat(parts).reshape(-1, model.dim).to(blocks.device)


def top_contexts(activations: torch.Tensor, blocks: torch.Tensor, tokenizer: data.Tokenizer,
                 n: int = 6, width: int = 3) -> list[tuple[float, str]]:
    """The ``n`` tokens on which one latent fires most, each with ``width`` words either side.

    activations: ``(n_blocks * length,)`` one latent's activation at every token (the rows of
    :func:`hidden_states`); blocks: ``(n_blocks, length)``. Returns ``[(activation, text)]``,
    strongest first, the token itself in ``[brackets]``; only tokens where it fires (> 0).
    """
    length = blocks.shape[1]
    if activations.ndim != 1 or len(activations) != blocks.numel():
        raise ValueError(f"activations must be ({blocks.numel()},), one per token of blocks, got "
                         f"{tuple(activations.shape)}")
    values, index = activations.detach().cpu().topk(min(n, len(activations)))
    rows = blocks.cpu()
    shown = []
    for value, i in zip(values.tolist(), index.tolist()):
        if value <= 0:
            break
        block, j = divmod(i, length)
        words = [tokenizer.itos[int(t)] for t in rows[block, max(0, j - width):j + width + 1]]
        words[min(j, width)] = f"[{words[min(j, width)]}]"
        shown.append((value, " ".join(words)))
    return shown
