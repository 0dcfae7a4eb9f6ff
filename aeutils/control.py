"""Autoencoders for control: a tiny slot-car track, tabular Q-learning and the helpers between them.

The lecture's example (Berkeley CS182, autoencoders): a camera sees a slot car on its track. The
image has hundreds of pixels, but the state that matters is one number, the car's position along
the track. Compress the images to a 2-D code with an autoencoder, cut the code plane into a grid
of cells, and a plain table of Q-values over the cells is enough to learn when to go fast.

- :class:`SlotCarTrack`: a stadium-shaped track (two straights, two curves) rendered as small
  grayscale images; ``n_envs`` cars run side by side so that everything is vectorized.
- :func:`grid_edges` and :func:`discretize`: 2-D codes -> cell numbers.
- :func:`q_learning`, :func:`greedy_policy`, :func:`run_policy`: tabular Q-learning on the cells.
- :func:`cell_purity`: how well cells separate a labelling of the states (e.g. curve / straight).
- :func:`policy_map` and :func:`track_explorer`: the learned policy drawn on the track, and a
  slider through track positions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from matplotlib.figure import Figure

SLOW, FAST = 0, 1
ACTIONS = ("slow", "fast")

Featurize = Callable[[torch.Tensor], torch.Tensor]  # states (n,) -> cells (n,) int64
Policy = Callable[[torch.Tensor], torch.Tensor]  # states (n,) -> actions (n,) int64


class SlotCarTrack:
    """A slot car on a stadium-shaped track, seen from above as a ``size x size`` grayscale image.

    State: the car's position ``s`` along the track, an arc length in pixels in ``[0, length)``
    (``0`` is the left end of the top straight; the car drives clockwise on screen).
    Actions: ``0`` = slow (advance about ``slow`` pixels), ``1`` = fast (about ``fast`` pixels);
    each move is scaled by a random factor in ``[1 - jitter, 1 + jitter]``.
    Reward: the distance advanced. Going fast on a move that starts or ends in a curve crashes the
    car: reward ``-crash_penalty`` and the episode ends. An episode also ends after ``horizon``
    steps. So the best policy goes fast on the straights and brakes before each curve: it depends on
    the position, which the agent only sees through the image.

    ``n_envs`` cars run independently and at once: states, actions, rewards are ``(n_envs,)``.
    """

    def __init__(self, size: int = 24, straight: float = 14.0, radius: float = 3.0,
                 slow: float = 1.0, fast: float = 4.0, jitter: float = 0.2,
                 crash_penalty: float = 10.0, horizon: int = 50, n_envs: int = 1,
                 car_width: float = 2.0, camera_noise: float = 0.1, seed: int = 0):
        if 2 * radius + straight + 4 > size:
            raise ValueError(f"a track with straight={straight} and radius={radius} does not fit "
                             f"in a {size}x{size} image")
        if not 0 <= jitter < 1 or not 0 < slow < fast or n_envs < 1 or horizon < 1:
            raise ValueError("need 0 <= jitter < 1, 0 < slow < fast, n_envs >= 1, horizon >= 1")
        if fast * (1 + jitter) >= min(straight, math.pi * radius):
            raise ValueError("a fast move must be shorter than every straight and curve, so that "
                             "the crash rule (a move starting or ending in a curve) sees every curve")
        self.size, self.straight, self.radius = size, float(straight), float(radius)
        self.speeds = torch.tensor([slow, fast], dtype=torch.float32)
        self.jitter, self.crash_penalty, self.horizon = jitter, crash_penalty, horizon
        self.n_envs, self.car_width, self.camera_noise = n_envs, car_width, camera_noise
        self.length = 2 * self.straight + 2 * math.pi * self.radius
        self.generator = torch.Generator().manual_seed(seed)
        centre = (size - 1) / 2
        self.centre = centre
        grid = torch.arange(size, dtype=torch.float32)
        self._ys, self._xs = torch.meshgrid(grid, grid, indexing="ij")
        points = self.xy(torch.linspace(0, self.length, 400))
        dist2 = ((self._xs[None] - points[:, 0, None, None]) ** 2
                 + (self._ys[None] - points[:, 1, None, None]) ** 2)
        self.track_image = 0.3 * torch.exp(-dist2 / (2 * 0.5**2)).amax(0)  # (H, W)
        self.state = torch.zeros(n_envs)
        self.crashed = torch.zeros(n_envs, dtype=torch.bool)
        self.steps = torch.zeros(n_envs, dtype=torch.int64)

    # --- geometry -------------------------------------------------------------------------------
    def wrap(self, s: torch.Tensor) -> torch.Tensor:
        """Positions modulo the track length."""
        return torch.remainder(torch.as_tensor(s, dtype=torch.float32), self.length)

    def in_curve(self, s: torch.Tensor) -> torch.Tensor:
        """``s: (n,)`` positions -> ``(n,)`` bool, True inside one of the two curves."""
        s = self.wrap(s)
        half = math.pi * self.radius
        first = (s >= self.straight) & (s < self.straight + half)
        second = s >= 2 * self.straight + half
        return first | second

    def xy(self, s: torch.Tensor) -> torch.Tensor:
        """``s: (n,)`` positions -> ``(n, 2)`` pixel coordinates ``(x, y)`` of the car (y down)."""
        s = self.wrap(s).reshape(-1)
        c, a, r, half = self.centre, self.straight / 2, self.radius, math.pi * self.radius
        x, y = torch.empty_like(s), torch.empty_like(s)
        top = s < self.straight
        right = (s >= self.straight) & (s < self.straight + half)
        bottom = (s >= self.straight + half) & (s < 2 * self.straight + half)
        left = s >= 2 * self.straight + half
        x[top], y[top] = c - a + s[top], c - r
        phi = (s[right] - self.straight) / r
        x[right], y[right] = c + a + r * torch.sin(phi), c - r * torch.cos(phi)
        x[bottom], y[bottom] = c + a - (s[bottom] - self.straight - half), c + r
        phi = (s[left] - 2 * self.straight - half) / r
        x[left], y[left] = c - a - r * torch.sin(phi), c + r * torch.cos(phi)
        return torch.stack([x, y], dim=1)

    def lap_fraction(self, s: torch.Tensor) -> torch.Tensor:
        """Positions as a fraction of a lap, in ``[0, 1)``."""
        return self.wrap(s) / self.length

    def sample_states(self, n: int) -> torch.Tensor:
        """``n`` positions drawn uniformly along the track: ``(n,)``."""
        return torch.rand(n, generator=self.generator) * self.length

    # --- images ---------------------------------------------------------------------------------
    def render(self, state: torch.Tensor | float, noise: float | None = None) -> torch.Tensor:
        """Camera images of the car at the given positions.

        ``state``: a single position (a float or 0-d tensor) -> ``(1, H, W)``;
        ``(n,)`` positions -> ``(n, 1, H, W)``. float32 in [0, 1]: the track faint, the car bright.
        ``noise``: standard deviation of the camera's pixel noise (Gaussian, then clipped to
        [0, 1]); default ``camera_noise``. ``noise=0`` gives the clean picture.
        """
        s = torch.as_tensor(state, dtype=torch.float32)
        single = s.ndim == 0
        points = self.xy(s.reshape(-1))
        dist2 = ((self._xs[None] - points[:, 0, None, None]) ** 2
                 + (self._ys[None] - points[:, 1, None, None]) ** 2)
        car = torch.exp(-dist2 / (2 * self.car_width**2))
        images = torch.maximum(car, self.track_image[None])
        noise = self.camera_noise if noise is None else noise
        if noise > 0:
            images = images + noise * torch.randn(images.shape, generator=self.generator)
        images = images.clamp(0, 1).unsqueeze(1)
        return images[0] if single else images

    # --- dynamics -------------------------------------------------------------------------------
    def reset(self, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Put cars (all, or where ``mask: (n_envs,)`` is True) at random positions; returns the
        states ``(n_envs,)``."""
        mask = torch.ones(self.n_envs, dtype=torch.bool) if mask is None else mask.bool()
        fresh = self.sample_states(self.n_envs)
        self.state = torch.where(mask, fresh, self.state)
        self.steps = torch.where(mask, torch.zeros_like(self.steps), self.steps)
        return self.state.clone()

    def step(self, action: torch.Tensor | int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Move every car: ``action: (n_envs,)`` int (0 slow, 1 fast), or one int for all.

        Returns ``(state, reward, done)``, each ``(n_envs,)``: the new positions, the rewards and
        whether each episode just ended (crash or time out). Call :meth:`reset` with ``done`` as the
        mask to start those cars again.
        """
        action = torch.as_tensor(action, dtype=torch.int64).expand(self.n_envs)
        if bool(((action < 0) | (action > 1)).any()):
            raise ValueError("actions must be 0 (slow) or 1 (fast)")
        noise = 1 + self.jitter * (2 * torch.rand(self.n_envs, generator=self.generator) - 1)
        move = self.speeds[action] * noise
        new = self.wrap(self.state + move)
        crash = (action == FAST) & (self.in_curve(self.state) | self.in_curve(new))
        reward = torch.where(crash, torch.full_like(move, -self.crash_penalty), move)
        self.state = torch.where(crash, self.state, new)
        self.steps = self.steps + 1
        self.crashed = crash  # True where the episode ended in a crash (not a time-out)
        done = crash | (self.steps >= self.horizon)
        return self.state.clone(), reward, done


# --- codes -> cells -----------------------------------------------------------------------------
def grid_edges(codes: torch.Tensor, bins: int, margin: float = 0.05) -> torch.Tensor:
    """Interior edges of a regular grid over the codes' range: ``codes: (n, d)`` ->
    ``(d, bins - 1)`` on the CPU. ``margin`` widens the range by that fraction on each side."""
    codes = torch.as_tensor(codes, dtype=torch.float32).detach().cpu()
    if codes.ndim != 2 or bins < 1:
        raise ValueError(f"need codes (n, d) and bins >= 1, got {tuple(codes.shape)} and {bins}")
    lo, hi = codes.min(0).values, codes.max(0).values
    pad = margin * (hi - lo)
    steps = torch.linspace(0, 1, bins + 1)[1:-1]
    return (lo - pad)[:, None] + (hi - lo + 2 * pad)[:, None] * steps[None]


def discretize(codes: torch.Tensor, bins: int | torch.Tensor) -> torch.Tensor:
    """Cell number of each code on a regular grid: ``codes: (n, d)`` -> ``(n,)`` int64 in
    ``[0, bins ** d)``.

    ``bins``: the edges from :func:`grid_edges` (``(d, bins - 1)``; use the same edges for every
    later code), or an int to build the grid from these codes themselves. Codes beyond the outer
    edges fall in the border cells.
    """
    codes = torch.as_tensor(codes, dtype=torch.float32).cpu()
    edges = grid_edges(codes, bins) if isinstance(bins, int) else torch.as_tensor(bins).cpu()
    if codes.ndim != 2 or edges.ndim != 2 or edges.shape[0] != codes.shape[1]:
        raise ValueError(f"codes (n, d) need edges (d, bins - 1), got {tuple(codes.shape)} and "
                         f"{tuple(edges.shape)}")
    per_dim = edges.shape[1] + 1
    cells = torch.zeros(len(codes), dtype=torch.int64)
    for j in range(codes.shape[1]):
        index = torch.bucketize(codes[:, j].contiguous(), edges[j].contiguous())
        cells = cells * per_dim + index
    return cells


def cell_purity(cells: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of samples whose label is the most common label in their cell.

    ``cells, labels: (n,)`` ints. 1.0: every cell holds one kind of state (a table over the cells
    can tell them apart); lower: cells mix states that need different actions.
    """
    cells, labels = torch.as_tensor(cells).long().cpu(), torch.as_tensor(labels).long().cpu()
    if cells.shape != labels.shape or cells.ndim != 1 or len(cells) == 0:
        raise ValueError("cells and labels must be non-empty (n,) tensors of the same length")
    _, cell_index = torch.unique(cells, return_inverse=True)
    _, label_index = torch.unique(labels, return_inverse=True)
    counts = torch.zeros(int(cell_index.max()) + 1, int(label_index.max()) + 1)
    counts.index_put_((cell_index, label_index), torch.ones(len(cells)), accumulate=True)
    return float(counts.max(1).values.sum() / len(cells))


# --- tabular Q-learning -------------------------------------------------------------------------
@dataclass
class QResult:
    """What :func:`q_learning` returns."""

    q: torch.Tensor  # (n_cells, n_actions) learned action values
    returns: list[float] = field(default_factory=list)  # each episode's return, in finishing order
    visits: torch.Tensor | None = None  # (n_cells,) how often each cell was seen


def q_learning(env: SlotCarTrack, featurize: Featurize, n_cells: int, episodes: int,
               alpha: float = 0.2, gamma: float = 0.95, epsilon: tuple[float, float] = (1.0, 0.05),
               explore_fraction: float = 0.6, seed: int = 0) -> QResult:
    """Tabular Q-learning over cells, with all of ``env``'s cars learning into one table.

    featurize: ``states (n,) -> cells (n,)`` int64 in ``[0, n_cells)``, e.g. render, encode,
        :func:`discretize`. The agent never sees the true state, only its cell.
    episodes: how many episodes to finish in total (over all cars).
    epsilon: exploration rate, decayed linearly from the first to the second value over the first
        ``explore_fraction`` of the episodes (random actions at first, mostly greedy at the end).
    Each step applies ``Q[c, a] += alpha * (r + gamma * max_a' Q[c', a'] - Q[c, a])`` (no bootstrap
    after a crash), averaging the updates of cars that share a (cell, action).
    """
    n_actions = len(env.speeds)
    q = torch.zeros(n_cells, n_actions)
    visits = torch.zeros(n_cells)
    rng = torch.Generator().manual_seed(seed)
    state = env.reset()
    cell = featurize(state)
    running = torch.zeros(env.n_envs)
    returns: list[float] = []
    while len(returns) < episodes:
        progress = min(1.0, len(returns) / max(1.0, explore_fraction * episodes))
        eps = epsilon[0] + (epsilon[1] - epsilon[0]) * progress
        greedy = q[cell].argmax(1)
        explore = torch.rand(env.n_envs, generator=rng) < eps
        action = torch.where(explore, torch.randint(n_actions, (env.n_envs,), generator=rng), greedy)
        state, reward, done = env.step(action)
        next_cell = featurize(state)
        # a crash ends the future; a time-out only stops the clock, so bootstrap there
        target = reward + gamma * (~env.crashed) * q[next_cell].max(1).values
        td = target - q[cell, action]
        flat = cell * n_actions + action
        total = torch.zeros(n_cells * n_actions).index_add_(0, flat, td)
        count = torch.zeros(n_cells * n_actions).index_add_(0, flat, torch.ones_like(td))
        q += (alpha * total / count.clamp_min(1)).reshape(n_cells, n_actions)
        visits.index_add_(0, cell, torch.ones(len(cell)))
        running += reward
        returns.extend(running[done].tolist())
        running[done] = 0
        if bool(done.any()):
            state = env.reset(done)
            next_cell = featurize(state)
        cell = next_cell
    return QResult(q, returns[:episodes], visits)


def greedy_policy(q: torch.Tensor, featurize: Featurize) -> Policy:
    """The policy that picks the best action of each state's cell: ``states (n,) -> actions (n,)``.
    Ties (e.g. cells never visited) go to action 0, slow: the safe choice."""
    return lambda states: q[featurize(states)].argmax(1)


def random_policy(n_actions: int = 2, seed: int = 0) -> Policy:
    """Uniformly random actions, for comparison."""
    rng = torch.Generator().manual_seed(seed)
    return lambda states: torch.randint(n_actions, (len(states),), generator=rng)


def run_policy(env: SlotCarTrack, policy: Policy, episodes: int) -> torch.Tensor:
    """Play ``episodes`` episodes with ``policy`` (no learning); returns their returns ``(episodes,)``."""
    state = env.reset()
    running = torch.zeros(env.n_envs)
    returns: list[float] = []
    while len(returns) < episodes:
        state, reward, done = env.step(policy(state))
        running += reward
        returns.extend(running[done].tolist())
        running[done] = 0
        if bool(done.any()):
            state = env.reset(done)
    return torch.tensor(returns[:episodes])


# --- figures ------------------------------------------------------------------------------------
def _draw_policy(ax, env: SlotCarTrack, policy: Policy, title: str) -> None:
    s = torch.linspace(0, env.length, 240)[:-1]
    points = env.xy(s).numpy()
    actions = policy(s).numpy()
    curve = env.in_curve(s).numpy()
    ax.imshow(np.zeros((env.size, env.size)), cmap="gray", vmin=0, vmax=1)
    ax.scatter(points[curve, 0], points[curve, 1], s=90, c="0.35", marker="s", linewidths=0)
    colors = np.where(actions == FAST, "tab:red", "tab:cyan")
    ax.scatter(points[:, 0], points[:, 1], s=10, c=colors)
    ax.set_title(title, fontsize=10)
    ax.set_axis_off()


def policy_map(env: SlotCarTrack, policies: dict[str, Policy]) -> Figure:
    """The action each policy takes along the track: red = fast, cyan = slow; the curves are the
    grey bands. ``policies``: ``{name: states (n,) -> actions (n,)}``."""
    fig = Figure(figsize=(3.4 * len(policies), 3.6), layout="constrained")
    axes = fig.subplots(1, len(policies), squeeze=False)[0]
    for ax, (name, policy) in zip(axes, policies.items()):
        _draw_policy(ax, env, policy, name)
    fig.suptitle("learned policy: red = fast, cyan = slow (curves in grey)", fontsize=10)
    return fig


def track_explorer(env: SlotCarTrack, encode: Callable[[torch.Tensor], torch.Tensor],
                   edges: torch.Tensor, q: torch.Tensor, codes: torch.Tensor,
                   positions: torch.Tensor, steps: int = 48):
    """Slide the car around the track: see the camera frame, where its 2-D code falls among the
    codes of many frames (coloured by lap fraction, grid cells drawn), and the learned action.

    encode: ``images (n, 1, H, W) -> codes (n, 2)``; edges: ``(2, bins - 1)`` from
    :func:`grid_edges`; q: ``(bins ** 2, 2)``; codes, positions: ``(n, 2)`` and ``(n,)`` of sample
    frames drawn behind the point. Returns an ``aeutils.widgets.Explorer``.
    """
    import ipywidgets as W

    from aeutils.widgets import Explorer

    codes_np, lap = codes.cpu().numpy(), env.lap_fraction(positions).numpy()
    edges_np = edges.cpu().numpy()

    def render(lap_position: float) -> tuple[Figure, str]:
        s = torch.tensor([lap_position * env.length])
        frame = env.render(s)
        code = encode(frame).reshape(1, -1)
        cell = int(discretize(code, edges)[0])
        values = q[cell]
        action = int(values.argmax())
        fig = Figure(figsize=(7.5, 3.4), layout="constrained")
        left, right = fig.subplots(1, 2, width_ratios=[1, 1.3])
        left.imshow(frame[0, 0].numpy(), cmap="gray", vmin=0, vmax=1)
        left.set_title("camera frame")
        left.set_axis_off()
        right.scatter(codes_np[:, 0], codes_np[:, 1], c=lap, cmap="hsv", s=4, alpha=0.6)
        for x in edges_np[0]:
            right.axvline(x, color="0.85", lw=0.6, zorder=0)
        for y in edges_np[1]:
            right.axhline(y, color="0.85", lw=0.6, zorder=0)
        right.plot(*code[0].cpu().numpy(), "k*", markersize=16)
        right.set_title("2-D code (colour = lap fraction)")
        curve = "curve" if bool(env.in_curve(s)[0]) else "straight"
        text = (f"lap {lap_position:.2f} ({curve}): code ({float(code[0, 0]):+.2f}, "
                f"{float(code[0, 1]):+.2f}), cell {cell}, action {ACTIONS[action]} "
                f"(Q slow {float(values[0]):.1f}, fast {float(values[1]):.1f})")
        return fig, text

    slider = W.FloatSlider(value=0.1, min=0.0, max=1.0 - 1.0 / steps, step=1.0 / steps,
                           description="lap", continuous_update=False, readout_format=".2f")
    return Explorer({"lap_position": slider}, render, title="Drive the car around the track")
