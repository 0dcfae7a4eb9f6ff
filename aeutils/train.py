"""One training loop for every model of the course.

The whole data set lives on the device as one tensor; each epoch draws a shuffled index permutation
and slices mini-batches from it, so there is no per-sample Python work and no DataLoader.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from aeutils import rng, validate
from aeutils.runtime import device as default_device

LossFn = Callable[[nn.Module, torch.Tensor], torch.Tensor]


@dataclass
class History:
    """What ``fit`` returns: per-epoch mean training loss, optional validation loss, wall time."""

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def final(self) -> float:
        """The last epoch's training loss."""
        return self.loss[-1] if self.loss else math.nan


def _default_loss(model: nn.Module, batch: torch.Tensor) -> torch.Tensor:
    if not hasattr(model, "loss"):
        raise TypeError(f"{type(model).__name__} has no loss(x) method; pass loss_fn=...")
    return model.loss(batch)


class _Unset:
    """Marks an argument the caller did not pass, so a model's recommended recipe may fill it."""

    def __repr__(self) -> str:
        return "<model's recipe, else the default>"


UNSET = _Unset()
DEFAULT_RECIPE = {"optimizer": "adam", "batch_size": 128, "epochs": 20, "lr": 3e-3}


def fit_recipe(model: nn.Module, **given) -> dict:
    """The settings ``fit`` will use: ``{"optimizer", "batch_size", "epochs", "lr"}``.

    given: what the caller passed to ``fit`` (``UNSET`` or absent: not passed). Arguments the
    caller passed win. If the caller chose neither ``optimizer`` nor ``batch_size``, the model's
    ``recommended_fit`` dict fills the rest (e.g. ``LinearAutoencoder``: full-batch L-BFGS;
    ``MaskedTokenDenoiser``: a higher learning rate); passing either means "my own recipe", and
    the defaults fill the rest: Adam at lr 3e-3 on mini-batches of 128 for 20 epochs.
    """
    unknown = set(given) - set(DEFAULT_RECIPE)
    if unknown:
        raise TypeError(f"fit_recipe got {sorted(unknown)}; it knows {list(DEFAULT_RECIPE)}")
    recipe = dict(DEFAULT_RECIPE)
    if given.get("optimizer", UNSET) is UNSET and given.get("batch_size", UNSET) is UNSET:
        stated = dict(getattr(model, "recommended_fit", None) or {})
        unknown = set(stated) - set(DEFAULT_RECIPE)
        if unknown:
            raise ValueError(f"{type(model).__name__}.recommended_fit sets {sorted(unknown)}; a "
                             f"recipe may set only {list(DEFAULT_RECIPE)}")
        recipe.update(stated)
    recipe.update({k: v for k, v in given.items() if v is not UNSET})
    return recipe


def resolve_recipe(model: nn.Module, optimizer, batch_size, epochs) -> tuple[str, int | None, int]:
    """The optimizer, batch size and epochs ``fit`` will use (see :func:`fit_recipe`, which also
    gives the learning rate)."""
    recipe = fit_recipe(model, optimizer=optimizer, batch_size=batch_size, epochs=epochs)
    return recipe["optimizer"], recipe["batch_size"], recipe["epochs"]


def fit(model: nn.Module, x: torch.Tensor, *, epochs: int = UNSET, batch_size: int | None = UNSET,
        lr: float = UNSET, optimizer: str = UNSET, weight_decay: float = 0.0,
        schedule: str = "onecycle", loss_fn: LossFn | None = None, x_val: torch.Tensor | None = None,
        device: torch.device | str | None = None, seed: int = 0, quiet: bool = False,
        desc: str | None = None, callback: Callable[[int, nn.Module], None] | None = None) -> History:
    """Train ``model`` on ``x`` and return its :class:`History`.

    model: any course model; its ``loss(batch)`` is minimized unless ``loss_fn(model, batch)`` is
        given.
    x: (n, ...) the whole training set (images in [0, 1], or token ids); moved to ``device``
        (default ``aeutils.device()``) once. Its value range is read once, and every batch the
        loss gets carries it (``validate.with_range``): the loss's value checks of the batch read
        nothing from the device.
    epochs: passes over the data (for ``optimizer="lbfgs"``: L-BFGS steps of up to 20 iterations);
        default 20.
    batch_size: mini-batch size; ``None`` (or >= n) means full batch, best for small data sets;
        default 128.
    optimizer: ``"adam"`` (default) or ``"lbfgs"`` (always full batch; exact and fast for linear
        models).
    lr: Adam's peak learning rate; default 3e-3.
    When neither ``optimizer`` nor ``batch_size`` is given, a model's ``recommended_fit`` replaces
    these defaults (see :func:`fit_recipe`): ``fit(LinearAutoencoder(...), x)`` runs full-batch
    L-BFGS, because mini-batch Adam leaves a linear autoencoder far from PCA's optimum.
    schedule: ``"onecycle"`` (warm-up then cosine decay, a robust default) or ``"constant"``.
    x_val: optional held-out data; its loss is logged each epoch (no gradients, eval mode).
    seed: the shuffling's seed (the model's initial weights are the caller's).
    callback: ``callback(epoch, model)`` after each epoch.
    """
    recipe = fit_recipe(model, optimizer=optimizer, batch_size=batch_size, epochs=epochs, lr=lr)
    _check_settings(recipe, schedule, x)
    where = torch.device(device) if device is not None else default_device()
    model.to(where)
    x = x.to(where)
    x_val = x_val.to(where) if x_val is not None else None
    x_range = validate.read_range(x)  # the training set's value check: one host sync per fit
    loss_fn = loss_fn or _default_loss
    n = len(x)
    batch = n if recipe["batch_size"] is None or recipe["batch_size"] >= n else int(recipe["batch_size"])
    history, start = History(), time.perf_counter()
    opt, scheduler = _optimizer(model, recipe, weight_decay, schedule, steps=math.ceil(n / batch))
    shuffle = rng.generator(seed)
    bar = tqdm(range(recipe["epochs"]), desc=desc or type(model).__name__, disable=quiet, leave=True)
    for epoch in bar:
        model.train()
        if recipe["optimizer"] == "lbfgs":
            epoch_loss = lbfgs_epoch(model, validate.with_range(x, x_range), loss_fn, opt)
        else:
            epoch_loss = adam_epoch(model, x, x_range, loss_fn, opt, scheduler, batch, shuffle)
        if not math.isfinite(epoch_loss):
            raise FloatingPointError(f"the training loss became {epoch_loss} at epoch "
                                     f"{epoch + 1}; lower lr (now {recipe['lr']}).")
        history.loss.append(epoch_loss)
        history.lr.append(opt.param_groups[0]["lr"])
        postfix = {"loss": f"{epoch_loss:.4g}"}
        if x_val is not None:
            history.val_loss.append(evaluate(model, x_val, loss_fn=loss_fn))
            postfix["val"] = f"{history.val_loss[-1]:.4g}"
        bar.set_postfix(postfix)
        if callback is not None:
            callback(epoch, model)
    model.eval()
    history.seconds = time.perf_counter() - start
    return history


def adam_epoch(model: nn.Module, x: torch.Tensor, x_range: validate.Range | None, loss_fn: LossFn,
               opt: torch.optim.Optimizer, scheduler: torch.optim.lr_scheduler.LRScheduler | None,
               batch: int, shuffle: torch.Generator) -> float:
    """One pass over ``x`` (n, ...) in mini-batches of ``batch``, shuffled by ``shuffle`` (none
    when ``batch >= n``); each batch goes to ``loss_fn`` marked with ``x_range``. Returns the
    epoch's mean loss, read from the device once (never per batch)."""
    n = len(x)
    order = rng.randperm(n, shuffle, x.device) if batch < n else None
    total = torch.zeros((), device=x.device)
    for first in range(0, n, batch):
        xb = x if order is None else x[order[first:first + batch]]
        value = loss_fn(model, validate.with_range(xb, x_range))
        opt.zero_grad(set_to_none=True)
        value.backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()
        total += value.detach() * len(xb)
    return float(total) / n


def lbfgs_epoch(model: nn.Module, x: torch.Tensor, loss_fn: LossFn,
                opt: torch.optim.LBFGS) -> float:
    """One L-BFGS step on the whole of ``x`` (up to 20 evaluations of the loss and its gradient);
    returns the loss after it (one host sync)."""

    def closure() -> torch.Tensor:
        opt.zero_grad()
        value = loss_fn(model, x)
        value.backward()
        return value

    opt.step(closure)
    with torch.no_grad():
        return float(loss_fn(model, x))


def _check_settings(recipe: dict, schedule: str, x: torch.Tensor) -> None:
    if recipe["epochs"] <= 0:
        raise ValueError(f"epochs must be positive, got {recipe['epochs']}")
    if recipe["optimizer"] not in ("adam", "lbfgs"):
        raise ValueError(f"optimizer must be 'adam' or 'lbfgs', got {recipe['optimizer']!r}")
    if schedule not in ("onecycle", "constant"):
        raise ValueError(f"schedule must be 'onecycle' or 'constant', got {schedule!r}")
    if not isinstance(x, torch.Tensor) or len(x) == 0:
        raise ValueError("x must be a non-empty tensor holding the whole training set")


def _optimizer(model: nn.Module, recipe: dict, weight_decay: float, schedule: str,
               steps: int) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler | None]:
    """The optimizer of ``recipe`` over the trainable parameters, and Adam's schedule (``steps``
    per epoch); L-BFGS has no schedule."""
    params = [p for p in model.parameters() if p.requires_grad]
    if recipe["optimizer"] == "lbfgs":
        return torch.optim.LBFGS(params, lr=1.0, max_iter=20, history_size=50,
                                 line_search_fn="strong_wolfe", tolerance_grad=1e-10,
                                 tolerance_change=1e-14), None
    opt = torch.optim.Adam(params, lr=recipe["lr"], weight_decay=weight_decay)
    if schedule == "constant":
        return opt, None
    return opt, torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=recipe["lr"], total_steps=recipe["epochs"] * steps, pct_start=0.1)


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, loss_fn: LossFn | None = None,
             batch_size: int = 4096) -> float:
    """Mean of the model's loss over ``x`` in eval mode, without gradients."""
    loss_fn = loss_fn or _default_loss
    was_training = model.training
    model.eval()
    where = _model_device(model)
    total = 0.0
    for start in range(0, len(x), batch_size):
        xb = x[start:start + batch_size].to(where)
        total += float(loss_fn(model, xb)) * len(xb)
    model.train(was_training)
    return total / len(x)


def _model_device(model: nn.Module) -> torch.device:
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


@torch.no_grad()
def encode(model: nn.Module, x: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """Codes for a whole data set, in eval mode: ``(n, ...) -> (n, code_size)`` on the CPU.

    The model's train/eval mode is restored afterwards, as :func:`evaluate` does.
    """
    was_training = model.training
    model.eval()
    where = _model_device(model)
    try:
        return torch.cat([model.encode(x[i:i + batch_size].to(where)).cpu()
                          for i in range(0, len(x), batch_size)])
    finally:
        model.train(was_training)


@torch.no_grad()
def reconstruct(model: nn.Module, x: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """Reconstructions ``x_hat`` of a whole data set, in eval mode, same shape as ``x``, on the CPU.

    The model's train/eval mode is restored afterwards, as :func:`evaluate` does.
    """
    was_training = model.training
    model.eval()
    where = _model_device(model)
    try:
        return torch.cat([model(x[i:i + batch_size].to(where))[1].cpu()
                          for i in range(0, len(x), batch_size)])
    finally:
        model.train(was_training)
