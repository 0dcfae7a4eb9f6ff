"""aeutils.grading: the checks that assignment test cells call."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aeutils import grading as G


class AlwaysEqual(float):
    """A cheat: compares equal to anything, pretends to be a float."""

    def __eq__(self, other):
        return True

    __hash__ = float.__hash__

    def __sub__(self, other):
        return 0.0

    __rsub__ = __sub__

    def __abs__(self):
        return 0.0

    def __float__(self):
        return 5.0


class SneakyTensor(torch.Tensor):
    """A tensor subclass that could override comparisons via __torch_function__."""


class Duck:
    def __array__(self, *args, **kwargs):
        return np.array(5.0)

    def __float__(self):
        return 5.0


def test_close_values_pass_and_report_nothing():
    G.check_close(0.1 + 0.2, 0.3, name="sum")
    G.check_close(torch.tensor([1.0, 2.0]), [1.0, 2.0 + 1e-7], name="t")
    G.check_close(np.float32(2.5), 2.5)
    G.check_close(torch.nn.Parameter(torch.ones(2)), np.ones(2))


def test_wrong_value_says_expected_and_got():
    with pytest.raises(G.GradingError) as err:
        G.check_close(4.0, 5.0, name="add(2, 3)")
    msg = str(err.value)
    assert "add(2, 3)" in msg and "expected 5" in msg and "got 4" in msg
    assert isinstance(err.value, AssertionError)


def test_tolerances_are_honoured():
    G.check_close(1.05, 1.0, rtol=0.1)
    with pytest.raises(G.GradingError):
        G.check_close(1.05, 1.0, rtol=0.01)
    G.check_close(1e-9, 0.0, atol=1e-8)


@pytest.mark.parametrize("cheat", [AlwaysEqual(0.0), SneakyTensor(torch.ones(1)), Duck(),
                                   np.ma.masked_array([5.0])], ids=type)
def test_cheat_objects_are_refused_without_being_asked(cheat):
    with pytest.raises(G.GradingError) as err:
        G.check_close(cheat, 5.0, name="answer")
    assert "answer should be" in str(err.value)
    with pytest.raises(G.GradingError):
        G.as_number(cheat)


def test_always_equal_really_fools_a_plain_comparison():
    # the reason for the helpers: a naive test would have passed
    cheat = AlwaysEqual(0.0)
    assert cheat == 5.0 and abs(cheat - 5.0) < 1e-9


def test_as_number_copies_by_value():
    t = torch.tensor([3.5])
    v = G.as_number(t)
    t += 1
    assert v == 3.5 and type(v) is float
    with pytest.raises(G.GradingError, match="single number"):
        G.as_number(torch.ones(3))


def test_as_array_is_a_fresh_copy():
    a = np.arange(3.0)
    b = G.as_array(a)
    a[0] = 99
    assert b[0] == 0 and type(b) is np.ndarray
    assert G.as_array([[1, 2], [3, 4]]).shape == (2, 2)
    with pytest.raises(G.GradingError, match="different shapes"):
        G.as_array([[1, 2], [3]])


def test_nan_is_reported():
    with pytest.raises(G.GradingError, match="NaN"):
        G.check_close(float("nan"), 1.0)
    with pytest.raises(G.GradingError, match="NaN or inf"):
        G.check_tensor(torch.tensor([1.0, float("inf")]))


def test_shape_and_dtype():
    x = torch.zeros(4, 16)
    G.check_shape(x, (4, 16))
    G.check_shape(x, (None, 16))
    with pytest.raises(G.GradingError, match=r"shape \(any, 8\)"):
        G.check_shape(x, (None, 8), name="code")
    G.check_dtype(x, torch.float32)
    with pytest.raises(G.GradingError, match="dtype"):
        G.check_dtype(x, torch.float64)
    G.check_dtype(np.zeros(2, dtype=np.float32), np.float32)
    G.check_tensor(x, shape=(4, 16), dtype=torch.float32)
    with pytest.raises(G.GradingError, match="torch.Tensor"):
        G.check_tensor(np.zeros(2))
    with pytest.raises(G.GradingError):
        G.check_shape(AlwaysEqual(1.0), ())


def test_shape_mismatch_in_close():
    with pytest.raises(G.GradingError, match="shape"):
        G.check_close(torch.zeros(3), np.zeros(4))


def test_check_equal_and_true_need_real_types():
    G.check_equal(3, 3)
    G.check_equal([1, 2], (1, 2))
    with pytest.raises(G.GradingError):
        G.check_equal(3, 4)
    with pytest.raises(G.GradingError):
        G.check_equal(AlwaysEqual(3), 3)
    G.check_true(True, "never shown")
    G.check_true(np.bool_(True), "never shown")
    with pytest.raises(G.GradingError, match="do this"):
        G.check_true(False, "do this")

    class Truthy:
        def __bool__(self):
            return True

    with pytest.raises(G.GradingError, match="True or False"):
        G.check_true(Truthy(), "x")


# ---- distribution checks ----

def test_check_distribution_tells_gaussian_from_uniform_noise_of_the_same_spread():
    g = torch.Generator().manual_seed(0)
    normal = 0.1 * torch.randn(10_000, generator=g)
    uniform = 0.1 * 3**0.5 * (2 * torch.rand(10_000, generator=g) - 1)  # the same standard deviation
    G.check_distribution(normal, "normal", mean=0.0, std=0.1)
    with pytest.raises(G.GradingError, match="does not look normal.*torch.randn is normal"):
        G.check_distribution(uniform, "normal", mean=0.0, std=0.1)
    with pytest.raises(G.GradingError, match="does not look normal"):
        G.check_distribution(normal, "normal", mean=0.0, std=0.12)
    G.check_distribution(torch.rand(10_000, generator=g), "uniform", low=0.0, high=1.0)
    with pytest.raises(G.GradingError, match="at least 100 finite"):
        G.check_distribution(torch.tensor([0.1, float("nan")] * 60), "normal", mean=0.0, std=1.0)


def test_check_distribution_passes_correct_samplers_whatever_their_seed():
    for seed in range(200):  # a false alarm has probability 1e-6 per check
        g = torch.Generator().manual_seed(seed)
        G.check_distribution(2.0 + 0.5 * torch.randn(10_000, generator=g), "normal", mean=2.0, std=0.5)


# ---- running a notebook cell again ----

@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    yield sh
    InteractiveShell.clear_instance()


def test_rerun_cell_replays_the_cell_that_assigned_a_name_with_other_data(shell):
    cells = [
        "import time\nimport torch\ndata = torch.ones(4)\nheld_out = torch.ones(2)",
        "def train(x, epochs=3):\n    return x.sum() * epochs",
        "t0 = time.perf_counter()\nweights = train(torch.cat([data, held_out]))\n"
        "rate = 3 * 6 / (time.perf_counter() - t0)\nprint('trained')",
    ]
    for src in cells:
        assert shell.run_cell(src, store_history=True).success
    shell.run_cell("from aeutils import grading as G\n"
                   "r = G.rerun_cell('rate', replace={'held_out': torch.full((2,), float('nan'))},"
                   " spy=('train',))", store_history=True)
    r = shell.user_ns["r"]
    assert r.error is None and "t0 = time.perf_counter()" in r.source
    assert torch.isnan(r.values["weights"]), "the replaced held-out data reached the training"
    assert shell.user_ns["weights"] == 18.0, "the notebook's own names are restored"
    assert [len(c["x"]) for c in r.calls["train"]] == [6] and r.calls["train"][0]["epochs"] == 3
    assert r.rate_matches(r.values["rate"], 3 * 6) and not r.rate_matches(r.values["rate"], 6)
    assert len(r.clocks["perf_counter"]) == 2


def test_rerun_cell_reports_blocked_hand_offs_and_missing_cells(shell):
    shell.run_cell("import aeutils.train\nmodel = 1\ndef go():\n    return aeutils.train.fit(None, None)",
                   store_history=True)
    shell.run_cell("result = go()", store_history=True)
    shell.run_cell("from aeutils import grading as G\n"
                   "r = G.rerun_cell('result', block=('aeutils.train.fit',), task='your loop')",
                   store_history=True)
    r = shell.user_ns["r"]
    assert isinstance(r.error, G.GradingError) and "write your loop yourself" in str(r.error)
    shell.run_cell("from aeutils import grading as G\ntry:\n    G.rerun_cell('nothing_assigns_this')\n"
                   "except G.GradingError as e:\n    msg = str(e)", store_history=True)
    assert "no cell of your notebook assigns `nothing_assigns_this`" in shell.user_ns["msg"]


def test_check_held_out_untouched_fails_a_training_on_the_held_out_data(shell):
    shell.run_cell("import torch\nx_train, x_test = torch.rand(20, 3), torch.rand(5, 3)\nuse_test = False",
                   store_history=True)
    shell.run_cell("model = torch.nn.Linear(3, 3)\ndata = torch.cat([x_train, x_test]) if use_test else x_train\n"
                   "opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
                   "loss = ((model(data) - data) ** 2).mean()\nloss.backward()\nopt.step()\n"
                   "test_error = float(((model(x_test) - x_test) ** 2).mean().detach())", store_history=True)
    check = ("from aeutils import grading as G\ntry:\n"
             "    G.check_held_out_untouched('model', ['x_test'], train_on='x_train')\n    verdict = 'kept'\n"
             "except G.GradingError as e:\n    verdict = str(e)")
    shell.run_cell(check, store_history=True)
    assert shell.user_ns["verdict"] == "kept"
    shell.run_cell("use_test = True", store_history=True)
    shell.run_cell(check, store_history=True)
    assert "training touched the held-out data. Train on x_train only" in shell.user_ns["verdict"]
