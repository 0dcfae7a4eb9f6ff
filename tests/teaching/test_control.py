"""Unit tests for aeutils.control: the slot-car track, codes -> cells and tabular Q-learning."""

import math

import pytest
import torch

from aeutils import control


def make_env(**kwargs):
    options = dict(n_envs=8, seed=0)
    options.update(kwargs)
    return control.SlotCarTrack(**options)


def test_geometry_lengths_and_curves():
    env = make_env(camera_noise=0.0)
    assert env.length == pytest.approx(2 * env.straight + 2 * math.pi * env.radius)
    s = torch.tensor([0.0, env.straight / 2, env.straight + 0.5,
                      env.straight + math.pi * env.radius + 1.0, env.length - 0.5])
    assert env.in_curve(s).tolist() == [False, False, True, False, True]
    # consecutive positions are close on screen (a continuous loop that closes on itself)
    points = env.xy(torch.linspace(0, env.length, 2001))
    steps = (points[1:] - points[:-1]).norm(dim=1)
    assert steps.max() < 2 * env.length / 2000
    assert torch.allclose(points[0], points[-1], atol=1e-4)
    assert float(points.min()) >= 0 and float(points.max()) <= env.size - 1


def test_render_shapes_range_and_car_position():
    env = make_env(camera_noise=0.0)
    one = env.render(3.0)
    many = env.render(torch.tensor([3.0, 20.0, 33.0]))
    assert one.shape == (1, env.size, env.size) and many.shape == (3, 1, env.size, env.size)
    assert one.dtype == torch.float32 and float(many.min()) >= 0 and float(many.max()) <= 1
    assert torch.allclose(many[0], one)
    # the brightest pixel is where the car is
    for s, image in zip([3.0, 20.0, 33.0], many):
        x, y = env.xy(torch.tensor([s]))[0]
        row, col = divmod(int(image.argmax()), env.size)
        assert abs(col - float(x)) <= 1 and abs(row - float(y)) <= 1
    noisy = make_env(camera_noise=0.1).render(torch.tensor([3.0, 3.0]))
    assert not torch.equal(noisy[0], noisy[1])  # camera noise differs per frame
    assert torch.equal(make_env(camera_noise=0.1).render(3.0, noise=0.0), one)


def test_step_rewards_crashes_and_timeouts():
    env = make_env(jitter=0.0, horizon=5)
    env.reset()
    env.state = torch.tensor([0.0, 0.0, env.straight - 1.0, env.straight + 1.0] * 2)
    action = torch.tensor([0, 1, 1, 0, 0, 1, 1, 0])
    state, reward, done = env.step(action)
    slow, fast = env.speeds.tolist()
    assert reward.tolist()[:4] == [slow, fast, -env.crash_penalty, slow]
    assert done.tolist()[:4] == [False, False, True, False]
    assert env.crashed.tolist()[:4] == [False, False, True, False]
    assert state[0] == pytest.approx(slow) and state[1] == pytest.approx(fast)
    for _ in range(4):
        state, reward, done = env.step(0)
    assert bool(done.all())  # time out after `horizon` steps
    fresh = env.reset(torch.tensor([True] + [False] * 7))
    assert env.steps.tolist() == [0] + [5] * 7
    assert torch.equal(fresh[1:], state[1:])
    with pytest.raises(ValueError):
        env.step(2)
    with pytest.raises(ValueError):  # a fast move longer than a curve could jump over it
        control.SlotCarTrack(fast=12.0)


def test_discretize_grid_cells():
    codes = torch.tensor([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0], [0.49, 0.51]])
    edges = control.grid_edges(codes, 2, margin=0.0)
    assert edges.shape == (2, 1)
    cells = control.discretize(codes, edges)
    assert cells.tolist() == [0, 3, 1, 2, 1]
    assert control.discretize(codes, 2).tolist() == cells.tolist()
    far = control.discretize(torch.tensor([[-5.0, 9.0]]), edges)  # outside: a border cell
    assert far.tolist() == [1]
    assert int(control.discretize(torch.randn(100, 2), 8).max()) < 64
    with pytest.raises(ValueError):
        control.discretize(torch.zeros(3, 3), edges)


def test_cell_purity():
    cells = torch.tensor([0, 0, 1, 1, 2])
    assert control.cell_purity(cells, torch.tensor([1, 1, 0, 0, 1])) == 1.0
    assert control.cell_purity(cells, torch.tensor([1, 0, 0, 0, 1])) == pytest.approx(0.8)
    assert control.cell_purity(torch.zeros(4, dtype=torch.long),
                               torch.tensor([0, 1, 0, 1])) == pytest.approx(0.5)


def test_q_learning_learns_to_brake_with_true_positions():
    env = make_env(n_envs=16, camera_noise=0.0)
    sectors = 48

    def featurize(s):
        return (env.lap_fraction(s) * sectors).long().clamp_max(sectors - 1)

    result = control.q_learning(env, featurize, sectors, episodes=400, seed=0)
    assert result.q.shape == (sectors, 2) and len(result.returns) == 400
    assert int(result.visits.sum()) > 0
    learned = control.run_policy(env, control.greedy_policy(result.q, featurize), 64).mean()
    random = control.run_policy(env, control.random_policy(), 64).mean()
    always_slow = control.run_policy(env, lambda s: torch.zeros(len(s), dtype=torch.long), 64).mean()
    assert learned > always_slow + 5 > random + 20
    early, late = torch.tensor(result.returns[:50]).mean(), torch.tensor(result.returns[-50:]).mean()
    assert late > early + 30
    # the learned policy goes slow in the middle of each curve and fast early on each straight
    mid_curve = torch.tensor([env.straight + math.pi * env.radius / 2])
    straight_start = torch.tensor([0.5])
    policy = control.greedy_policy(result.q, featurize)
    assert policy(mid_curve).tolist() == [control.SLOW]
    assert policy(straight_start).tolist() == [control.FAST]


def test_policy_map_and_explorer_render():
    env = make_env(camera_noise=0.0)
    s = env.sample_states(200)

    def encode(images):  # a hand-made 2-D code: the (x, y) of the brightest pixel
        flat = images.flatten(1).argmax(1)
        return torch.stack([flat % env.size, flat // env.size], dim=1).float()

    codes = encode(env.render(s))
    edges = control.grid_edges(codes, 4)
    q = torch.zeros(16, 2)
    q[:, 1] = 1.0  # every cell prefers fast
    fast = control.greedy_policy(q, lambda st: control.discretize(encode(env.render(st)), edges))
    assert fast(s).eq(control.FAST).all()
    fig = control.policy_map(env, {"fast everywhere": fast})
    assert len(fig.axes) == 1
    explorer = control.track_explorer(env, encode, edges, q, codes, s)
    first = explorer.text
    assert "action fast" in first and explorer.png[:4] == b"\x89PNG"
    explorer.controls["lap_position"].value = 0.5
    assert explorer.text != first and "lap 0.50" in explorer.text
