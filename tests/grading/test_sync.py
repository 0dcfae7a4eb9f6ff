"""aeutils.grading.sync: a per-batch .item() in a training loop is counted, the optimizer's own are not."""

from __future__ import annotations

import torch

from aeutils.grading.sync import count_host_syncs


def _loop(batches: int, sync_every_batch: bool) -> float:
    w = torch.randn(4, requires_grad=True)
    opt = torch.optim.Adam([w], lr=1e-2)
    total = torch.zeros(())
    for _ in range(batches):
        loss = (w**2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if sync_every_batch:
            total += loss.item()
        else:
            total += loss.detach()
    return float(total)  # one sync at the end


def test_a_per_batch_item_is_counted_and_the_optimizers_are_not():
    with count_host_syncs() as good:
        _loop(5, sync_every_batch=False)
    with count_host_syncs() as bad:
        _loop(5, sync_every_batch=True)
    assert good.count == 1, good.calls  # Adam reads its step counter inside torch: not counted
    assert bad.count == 6, bad.calls
    assert {name for name, _, _ in bad.calls} == {"item", "__float__"}
    assert all(path == __file__ for _, path, _ in bad.calls)


def test_every_kind_of_host_copy_is_counted():
    t = torch.ones(2)
    with count_host_syncs() as syncs:
        t.sum().item()
        t.tolist()
        t.cpu()
        int(t[0])
        bool(t[0] > 0)
    assert [name for name, _, _ in syncs.calls] == ["item", "tolist", "cpu", "__int__", "__bool__"]


def test_the_librarys_own_input_checks_are_not_counted():
    from aeutils import losses

    x = (torch.rand(8, 64) > 0.5).float()
    with count_host_syncs() as syncs:
        losses.elbo(torch.zeros(8, 64), x, torch.zeros(8, 2), torch.zeros(8, 2))
    assert syncs.count == 0, syncs.calls
