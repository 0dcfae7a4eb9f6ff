"""Independent student answers for the four assignments, right and wrong, as data.

Each :class:`StudentAnswer` is the complete new source of ONE autograded answer cell of a student
release (``assignments/<id>/<id>.ipynb``), as a student would leave it, so that a harness can put
it into an otherwise correct notebook and see whether the grader scores it the way it should:
``correct=True`` answers must earn the cell's points, ``correct=False`` ones must lose them.
``cell`` is the answer cell's nbgrader ``grade_id`` (read from the release's cell metadata).

How they were written: from the student release alone (the notebooks' text, visible tests and
helpers), the ``aeutils`` library, the README, the lectures and the course design, by a helper
engineer playing the students, on 2026-12-06, without reading the reference solutions, the hidden
tests, the grading fixtures or the issue's text. The wrong answers are the mistakes students make
when they read that text: ignoring a ``generator``, a host sync per batch, data moved to the device
inside the loop, held-out data used for training or evaluation, mixed precision done wrong,
unstable log-sum-exp, unweighted epoch means, wrong reported figures, uniform instead of Gaussian
noise, a missing nonlinearity, numerical edge cases, device bugs, off-by-one and wrong-axis
mistakes, wrong constants, too little training and hand-offs to the library's reference. The
correct answers are written in different, equally valid ways (loops, orders of operations, where
a random number is drawn, ``F.`` vs ``nn.`` forms, einsum vs matmul, ...), and each is correct on
the CPU and on CUDA and follows everything its cell's text asks for.

Each answer was checked as a student would: put into a copy of the release with the other answer
cells filled with correct answers and run headless; every correct answer passes the visible tests,
and every wrong one runs (it fails only through its mistake).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StudentAnswer:
    """One student's source for one answer cell, and whether it deserves the cell's points."""

    name: str  # unique; letters, digits, "_" and "-"
    assignment: str  # e.g. "ae1_bottleneck"
    cell: str  # the answer cell's nbgrader grade_id
    source: str  # the cell's whole new source
    correct: bool  # True: deserves the points of every test of this cell
    what: str  # one line: what the student did


ANSWERS: list[StudentAnswer] = [
    # ------------------------------------------------------------------ ae1_bottleneck
    # Part 1: linear-ae
    StudentAnswer(
        name="ae1-linear-plain",
        assignment="ae1_bottleneck",
        cell="linear-ae",
        correct=True,
        what="two nn.Linear layers; encode/decode call them; forward returns (h, decode(h))",
        source=r'''class LinearAE(nn.Module):
    """A linear autoencoder: input_dim -> code_size -> input_dim."""

    def __init__(self, input_dim, code_size):
        super().__init__()
        self.encoder = nn.Linear(input_dim, code_size)
        self.decoder = nn.Linear(code_size, input_dim)

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)''',
    ),
    StudentAnswer(
        name="ae1-linear-written-out",
        assignment="ae1_bottleneck",
        cell="linear-ae",
        correct=True,
        what="forward defined first; encode with F.linear and decode as h @ W2.T + b2 on the layers' own weights",
        source=r'''import torch.nn.functional as F


class LinearAE(nn.Module):
    """A linear autoencoder: input_dim -> code_size -> input_dim."""

    def __init__(self, input_dim, code_size):
        super().__init__()
        self.input_dim, self.code_size = input_dim, code_size
        self.encoder = nn.Linear(in_features=input_dim, out_features=code_size)
        self.decoder = nn.Linear(in_features=code_size, out_features=input_dim)

    def forward(self, x):
        code = self.encode(x)
        reconstruction = self.decode(code)
        return code, reconstruction

    def encode(self, x):
        # h = W1 x + b1, written out with the layer's own parameters
        return F.linear(x, self.encoder.weight, self.encoder.bias)

    def decode(self, h):
        return h @ self.decoder.weight.T + self.decoder.bias''',
    ),
    StudentAnswer(
        name="ae1-linear-swapped-outputs",
        assignment="ae1_bottleneck",
        cell="linear-ae",
        correct=False,
        what="forward returns (x_hat, h), the order of lecture 00's scratch model, not (h, x_hat)",
        source=r'''class LinearAE(nn.Module):
    """A linear autoencoder: input_dim -> code_size -> input_dim."""

    def __init__(self, input_dim, code_size):
        super().__init__()
        self.encoder = nn.Linear(input_dim, code_size)
        self.decoder = nn.Linear(code_size, input_dim)

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return self.decode(h), h''',
    ),
    StudentAnswer(
        name="ae1-linear-tanh-code",
        assignment="ae1_bottleneck",
        cell="linear-ae",
        correct=False,
        what="a tanh on the code: the model the text asks to be linear is not",
        source=r'''class LinearAE(nn.Module):
    """A linear autoencoder: input_dim -> code_size -> input_dim."""

    def __init__(self, input_dim, code_size):
        super().__init__()
        self.encoder = nn.Linear(input_dim, code_size)
        self.decoder = nn.Linear(code_size, input_dim)

    def encode(self, x):
        return torch.tanh(self.encoder(x))

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)''',
    ),
    StudentAnswer(
        name="ae1-linear-no-bias",
        assignment="ae1_bottleneck",
        cell="linear-ae",
        correct=False,
        what="both layers with bias=False: h = W1 x and x_hat = W2 h, no b1, b2",
        source=r'''class LinearAE(nn.Module):
    """A linear autoencoder: input_dim -> code_size -> input_dim."""

    def __init__(self, input_dim, code_size):
        super().__init__()
        self.encoder = nn.Linear(input_dim, code_size, bias=False)
        self.decoder = nn.Linear(code_size, input_dim, bias=False)

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)''',
    ),
    StudentAnswer(
        name="ae1-linear-plain-tensor-bias",
        assignment="ae1_bottleneck",
        cell="linear-ae",
        correct=False,
        what="decoder bias kept as a plain CPU tensor attribute: not a parameter, not moved by .to(device), never trained",
        source=r'''class LinearAE(nn.Module):
    """A linear autoencoder: input_dim -> code_size -> input_dim."""

    def __init__(self, input_dim, code_size):
        super().__init__()
        self.encoder = nn.Linear(input_dim, code_size)
        self.decoder = nn.Linear(code_size, input_dim, bias=False)
        self.b2 = torch.zeros(input_dim, requires_grad=True)

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h) + self.b2

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)''',
    ),
    StudentAnswer(
        name="ae1-linear-tied-weights",
        assignment="ae1_bottleneck",
        cell="linear-ae",
        correct=False,
        what="decode uses the encoder's weight transposed (tied weights): self.decoder is created but never used",
        source=r'''class LinearAE(nn.Module):
    """A linear autoencoder: input_dim -> code_size -> input_dim."""

    def __init__(self, input_dim, code_size):
        super().__init__()
        self.encoder = nn.Linear(input_dim, code_size)
        self.decoder = nn.Linear(code_size, input_dim)

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        # tied weights: the decoder is the transpose of the encoder
        return h @ self.encoder.weight + self.decoder.bias

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)''',
    ),
    # Part 2: pca-error
    StudentAnswer(
        name="ae1-pca-project",
        assignment="ae1_bottleneck",
        cell="pca-error",
        correct=True,
        what="centre, SVD, project onto the first k rows of Vh and back, add the mean; float of the mean squared error",
        source=r'''def pca_error(x, k):
    """Per-element MSE of reconstructing x: (n, D) from its top-k principal components."""
    x = x.cpu().double()
    mean = x.mean(dim=0, keepdim=True)
    xc = x - mean
    _, _, vh = torch.linalg.svd(xc, full_matrices=False)
    v = vh[:k]  # (k, D): the top-k directions as rows
    reconstruction = xc @ v.T @ v + mean
    return float(((x - reconstruction) ** 2).mean())''',
    ),
    StudentAnswer(
        name="ae1-pca-low-rank",
        assignment="ae1_bottleneck",
        cell="pca-error",
        correct=True,
        what="rank-k approximation U_k S_k Vh_k of the centred data; .item() of the error",
        source=r'''def pca_error(x, k):
    """Per-element MSE of reconstructing x: (n, D) from its top-k principal components."""
    data = x.cpu().double()
    centred = data - data.mean(0)
    U, S, Vh = torch.linalg.svd(centred, full_matrices=False)
    approx = (U[:, :k] * S[:k]) @ Vh[:k, :]
    return (centred - approx).pow(2).mean().item()''',
    ),
    StudentAnswer(
        name="ae1-pca-discarded-singular-values",
        assignment="ae1_bottleneck",
        cell="pca-error",
        correct=True,
        what="the squared error is the sum of the discarded squared singular values, divided by n*D",
        source=r'''def pca_error(x, k):
    """Per-element MSE of reconstructing x: (n, D) from its top-k principal components."""
    x64 = x.cpu().double()
    xc = x64 - x64.mean(dim=0)
    s = torch.linalg.svdvals(xc)
    # what PCA cannot reconstruct is exactly the energy of the directions it drops
    return float((s[k:] ** 2).sum() / xc.numel())''',
    ),
    StudentAnswer(
        name="ae1-pca-covariance-eigh",
        assignment="ae1_bottleneck",
        cell="pca-error",
        correct=True,
        what="eigenvectors of the scatter matrix (eigh, ascending: the last k columns) instead of the SVD",
        source=r'''def pca_error(x, k):
    """Per-element MSE of reconstructing x: (n, D) from its top-k principal components."""
    x = x.cpu().double()
    mu = x.mean(dim=0)
    xc = x - mu
    evals, evecs = torch.linalg.eigh(xc.T @ xc)  # ascending eigenvalues
    top = evecs[:, -k:]  # (D, k)
    x_rec = (xc @ top) @ top.T + mu
    err = torch.mean((x_rec - x) ** 2)
    return float(err)''',
    ),
    StudentAnswer(
        name="ae1-pca-no-centring",
        assignment="ae1_bottleneck",
        cell="pca-error",
        correct=False,
        what="skips step 1: SVD of the raw data, no mean subtracted or added back",
        source=r'''def pca_error(x, k):
    """Per-element MSE of reconstructing x: (n, D) from its top-k principal components."""
    x = x.cpu().double()
    _, _, vh = torch.linalg.svd(x, full_matrices=False)
    v = vh[:k]
    reconstruction = x @ v.T @ v
    return float(((x - reconstruction) ** 2).mean())''',
    ),
    StudentAnswer(
        name="ae1-pca-columns-of-vh",
        assignment="ae1_bottleneck",
        cell="pca-error",
        correct=False,
        what="takes the first k columns of Vh as the directions instead of its rows (wrong axis)",
        source=r'''def pca_error(x, k):
    """Per-element MSE of reconstructing x: (n, D) from its top-k principal components."""
    x = x.cpu().double()
    mean = x.mean(dim=0)
    xc = x - mean
    _, _, vh = torch.linalg.svd(xc, full_matrices=False)
    directions = vh[:, :k]  # (D, k)
    reconstruction = xc @ directions @ directions.T + mean
    return float(((x - reconstruction) ** 2).mean())''',
    ),
    StudentAnswer(
        name="ae1-pca-per-sample-sum",
        assignment="ae1_bottleneck",
        cell="pca-error",
        correct=False,
        what="squared error summed over the D features of each sample, then averaged (per sample, not per element)",
        source=r'''def pca_error(x, k):
    """Per-element MSE of reconstructing x: (n, D) from its top-k principal components."""
    x = x.cpu().double()
    mean = x.mean(dim=0)
    xc = x - mean
    _, _, vh = torch.linalg.svd(xc, full_matrices=False)
    reconstruction = xc @ vh[:k].T @ vh[:k] + mean
    return float(((x - reconstruction) ** 2).sum(dim=1).mean())''',
    ),
    StudentAnswer(
        name="ae1-pca-row-mean",
        assignment="ae1_bottleneck",
        cell="pca-error",
        correct=False,
        what="centres each sample by its own mean (mean over dim=1) instead of each feature's mean",
        source=r'''def pca_error(x, k):
    """Per-element MSE of reconstructing x: (n, D) from its top-k principal components."""
    x = x.cpu().double()
    mean = x.mean(dim=1, keepdim=True)
    xc = x - mean
    _, _, vh = torch.linalg.svd(xc, full_matrices=False)
    reconstruction = xc @ vh[:k].T @ vh[:k] + mean
    return float(((x - reconstruction) ** 2).mean())''',
    ),
    StudentAnswer(
        name="ae1-pca-handoff",
        assignment="ae1_bottleneck",
        cell="pca-error",
        correct=False,
        what="hand-off: returns aeutils.metrics.pca(x, k).error, the library's PCA the part asks to write",
        source=r'''def pca_error(x, k):
    """Per-element MSE of reconstructing x: (n, D) from its top-k principal components."""
    return float(aeutils.metrics.pca(x.cpu().double(), k).error)''',
    ),
    # Part 3: principal-angles
    StudentAnswer(
        name="ae1-angles-svdvals",
        assignment="ae1_bottleneck",
        cell="principal-angles",
        correct=True,
        what="QR of each, svdvals of Qa.T @ Qb clipped, arccos, rad2deg, sorted ascending",
        source=r'''def principal_angles(A, B):
    """Principal angles in degrees (ascending) between the column spaces of A: (D, k1) and B: (D, k2)."""
    qa, _ = torch.linalg.qr(A.cpu().double())
    qb, _ = torch.linalg.qr(B.cpu().double())
    cosines = torch.linalg.svdvals(qa.T @ qb).clamp(-1.0, 1.0)
    return torch.rad2deg(torch.arccos(cosines)).sort().values''',
    ),
    StudentAnswer(
        name="ae1-angles-svd-pi",
        assignment="ae1_bottleneck",
        cell="principal-angles",
        correct=True,
        what="S from torch.linalg.svd, acos times 180/pi; relies on S being descending, so the angles come out ascending",
        source=r'''def principal_angles(A, B):
    """Principal angles in degrees (ascending) between the column spaces of A: (D, k1) and B: (D, k2)."""
    A = A.detach().cpu().double()
    B = B.detach().cpu().double()
    Qa = torch.linalg.qr(A).Q
    Qb = torch.linalg.qr(B).Q
    S = torch.linalg.svd(Qa.T @ Qb, full_matrices=False).S
    S = torch.clamp(S, min=-1.0, max=1.0)
    # singular values come largest first, so the angles come smallest first
    return torch.acos(S) * (180.0 / np.pi)''',
    ),
    StudentAnswer(
        name="ae1-angles-no-qr",
        assignment="ae1_bottleneck",
        cell="principal-angles",
        correct=False,
        what="skips the QR step: singular values of A.T @ B are not cosines when the columns are not orthonormal",
        source=r'''def principal_angles(A, B):
    """Principal angles in degrees (ascending) between the column spaces of A: (D, k1) and B: (D, k2)."""
    A = A.cpu().double()
    B = B.cpu().double()
    cosines = torch.linalg.svdvals(A.T @ B).clamp(-1, 1)
    return torch.rad2deg(torch.arccos(cosines)).sort().values''',
    ),
    StudentAnswer(
        name="ae1-angles-radians",
        assignment="ae1_bottleneck",
        cell="principal-angles",
        correct=False,
        what="returns the angles in radians (forgot the conversion to degrees)",
        source=r'''def principal_angles(A, B):
    """Principal angles in degrees (ascending) between the column spaces of A: (D, k1) and B: (D, k2)."""
    qa, _ = torch.linalg.qr(A.cpu().double())
    qb, _ = torch.linalg.qr(B.cpu().double())
    cosines = torch.linalg.svdvals(qa.T @ qb).clamp(-1.0, 1.0)
    return torch.arccos(cosines).sort().values''',
    ),
    StudentAnswer(
        name="ae1-angles-no-clip",
        assignment="ae1_bottleneck",
        cell="principal-angles",
        correct=False,
        what="no clipping: a cosine rounded to just above 1 (the same subspace) gives NaN",
        source=r'''def principal_angles(A, B):
    """Principal angles in degrees (ascending) between the column spaces of A: (D, k1) and B: (D, k2)."""
    qa, _ = torch.linalg.qr(A.cpu().double())
    qb, _ = torch.linalg.qr(B.cpu().double())
    cosines = torch.linalg.svdvals(qa.T @ qb)
    return torch.rad2deg(torch.arccos(cosines)).sort().values''',
    ),
    StudentAnswer(
        name="ae1-angles-flipped",
        assignment="ae1_bottleneck",
        cell="principal-angles",
        correct=False,
        what="flips the result believing svdvals are ascending: the angles come out largest first",
        source=r'''def principal_angles(A, B):
    """Principal angles in degrees (ascending) between the column spaces of A: (D, k1) and B: (D, k2)."""
    qa, _ = torch.linalg.qr(A.cpu().double())
    qb, _ = torch.linalg.qr(B.cpu().double())
    cosines = torch.linalg.svdvals(qa.T @ qb).clamp(-1.0, 1.0)
    angles = torch.rad2deg(torch.arccos(cosines))
    return angles.flip(0)  # smallest first''',
    ),
    StudentAnswer(
        name="ae1-angles-complete-qr",
        assignment="ae1_bottleneck",
        cell="principal-angles",
        correct=False,
        what="QR with mode='complete': D x D bases of the whole space, so D angles, all zero",
        source=r'''def principal_angles(A, B):
    """Principal angles in degrees (ascending) between the column spaces of A: (D, k1) and B: (D, k2)."""
    qa, _ = torch.linalg.qr(A.cpu().double(), mode="complete")
    qb, _ = torch.linalg.qr(B.cpu().double(), mode="complete")
    cosines = torch.linalg.svdvals(qa.T @ qb).clamp(-1.0, 1.0)
    return torch.rad2deg(torch.arccos(cosines)).sort().values''',
    ),
    StudentAnswer(
        name="ae1-angles-float32-on-device",
        assignment="ae1_bottleneck",
        cell="principal-angles",
        correct=False,
        what="skips .cpu().double(): float32 arccos near 1 on the input's device, result not on the CPU",
        source=r'''def principal_angles(A, B):
    """Principal angles in degrees (ascending) between the column spaces of A: (D, k1) and B: (D, k2)."""
    qa, _ = torch.linalg.qr(A)
    qb, _ = torch.linalg.qr(B)
    cosines = torch.linalg.svdvals(qa.T @ qb).clamp(-1.0, 1.0)
    return torch.rad2deg(torch.arccos(cosines)).sort().values''',
    ),
    # Part 4: fit-loop
    StudentAnswer(
        name="ae1-fit-plain",
        assignment="ae1_bottleneck",
        cell="fit-loop",
        correct=True,
        what="permutation drawn on the CPU generator then moved; autocast and a GradScaler enabled by flags; weighted sum per epoch",
        source=r'''def amp_dtype(device):
    """torch.float16 on CUDA, torch.bfloat16 elsewhere."""
    return torch.float16 if torch.device(device).type == "cuda" else torch.bfloat16


def fit_autoencoder(model, x, *, epochs, batch_size, lr, generator=None, amp=False):
    """Train model on x: (n, D) with Adam + MSE; return the per-epoch mean loss, shape (epochs,)."""
    device = next(model.parameters()).device
    x = x.to(device)
    n = len(x)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(device.type, enabled=amp and device.type == "cuda")
    losses = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            xb = x[order[start:start + batch_size]]
            with torch.autocast(device.type, dtype=amp_dtype(device), enabled=amp):
                _, x_hat = model(xb)
                loss = torch.nn.functional.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total += loss.detach() * len(xb)
        losses[epoch] = total / n
    return losses''',
    ),
    StudentAnswer(
        name="ae1-fit-generator-device",
        assignment="ae1_bottleneck",
        cell="fit-loop",
        correct=True,
        what="draws where the generator lives, splits the permutation, autocast only when amp, scaler only on CUDA, stacks the epoch means",
        source=r'''import contextlib


def amp_dtype(device):
    """torch.float16 on CUDA, torch.bfloat16 elsewhere."""
    if isinstance(device, str):
        device = torch.device(device)
    if device.type == "cuda":
        return torch.float16
    return torch.bfloat16


def fit_autoencoder(model, x, *, epochs, batch_size, lr, generator=None, amp=False):
    """Train model on x: (n, D) with Adam + MSE; return the per-epoch mean loss, shape (epochs,)."""
    dev = next(model.parameters()).device
    data = x.to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    use_scaler = amp and dev.type == "cuda"
    scaler = torch.amp.GradScaler("cuda") if use_scaler else None
    draw_on = generator.device if generator is not None else dev
    history = []
    for _ in range(epochs):
        perm = torch.randperm(len(data), generator=generator, device=draw_on).to(dev)
        running = torch.zeros((), device=dev)
        for idx in perm.split(batch_size):
            batch = data[idx]
            ctx = torch.autocast(dev.type, dtype=amp_dtype(dev)) if amp else contextlib.nullcontext()
            with ctx:
                x_hat = model(batch)[1]
                loss = ((x_hat.float() - batch) ** 2).mean()
            opt.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
            else:
                loss.backward()
                opt.step()
            running = running + loss.detach() * batch.shape[0]
        history.append(running / len(data))
    return torch.stack(history)''',
    ),
    StudentAnswer(
        name="ae1-fit-sum-reduction",
        assignment="ae1_bottleneck",
        cell="fit-loop",
        correct=True,
        what="sum-reduced squared error accumulated per epoch and divided by n*D; steps on sum/numel; 'cuda' in str(device)",
        source=r'''import math

import torch.nn.functional as F


def amp_dtype(device):
    """torch.float16 on CUDA, torch.bfloat16 elsewhere."""
    return torch.float16 if "cuda" in str(device) else torch.bfloat16


def fit_autoencoder(model, x, *, epochs, batch_size, lr, generator=None, amp=False):
    """Train model on x: (n, D) with Adam + MSE; return the per-epoch mean loss, shape (epochs,)."""
    device = next(model.parameters()).device
    x = x.to(device)
    n, d = x.shape
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(device.type, enabled=bool(amp) and device.type == "cuda")
    history = torch.empty(epochs, device=device)
    model.train()
    for epoch in range(epochs):
        where = generator.device if generator is not None else device
        perm = torch.randperm(n, generator=generator, device=where).to(device)
        epoch_sum = torch.zeros((), device=device)
        for b in range(math.ceil(n / batch_size)):
            xb = x[perm[b * batch_size:(b + 1) * batch_size]]
            with torch.autocast(device_type=device.type, dtype=amp_dtype(device), enabled=amp):
                h, x_hat = model(xb)
                sq_sum = F.mse_loss(x_hat, xb, reduction="sum")
            loss = sq_sum / xb.numel()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            epoch_sum += sq_sum.detach()
        history[epoch] = epoch_sum / (n * d)
    return history''',
    ),
    StudentAnswer(
        name="ae1-fit-global-rng",
        assignment="ae1_bottleneck",
        cell="fit-loop",
        correct=False,
        what="ignores the generator argument: torch.randperm(n, device=device) draws from the global RNG",
        source=r'''def amp_dtype(device):
    """torch.float16 on CUDA, torch.bfloat16 elsewhere."""
    return torch.float16 if torch.device(device).type == "cuda" else torch.bfloat16


def fit_autoencoder(model, x, *, epochs, batch_size, lr, generator=None, amp=False):
    """Train model on x: (n, D) with Adam + MSE; return the per-epoch mean loss, shape (epochs,)."""
    device = next(model.parameters()).device
    x = x.to(device)
    n = len(x)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(device.type, enabled=amp and device.type == "cuda")
    losses = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        order = torch.randperm(n, device=device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            xb = x[order[start:start + batch_size]]
            with torch.autocast(device.type, dtype=amp_dtype(device), enabled=amp):
                _, x_hat = model(xb)
                loss = torch.nn.functional.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total += loss.detach() * len(xb)
        losses[epoch] = total / n
    return losses''',
    ),
    StudentAnswer(
        name="ae1-fit-item-per-batch",
        assignment="ae1_bottleneck",
        cell="fit-loop",
        correct=False,
        what="accumulates loss.item() per batch in a Python float (a host sync every batch), tensor made at the end",
        source=r'''def amp_dtype(device):
    """torch.float16 on CUDA, torch.bfloat16 elsewhere."""
    return torch.float16 if torch.device(device).type == "cuda" else torch.bfloat16


def fit_autoencoder(model, x, *, epochs, batch_size, lr, generator=None, amp=False):
    """Train model on x: (n, D) with Adam + MSE; return the per-epoch mean loss, shape (epochs,)."""
    device = next(model.parameters()).device
    x = x.to(device)
    n = len(x)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(device.type, enabled=amp and device.type == "cuda")
    losses = []
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator).to(device)
        total = 0.0
        for start in range(0, n, batch_size):
            xb = x[order[start:start + batch_size]]
            with torch.autocast(device.type, dtype=amp_dtype(device), enabled=amp):
                _, x_hat = model(xb)
                loss = torch.nn.functional.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total += loss.item() * len(xb)
        losses.append(total / n)
    return torch.tensor(losses, dtype=torch.float32, device=device)''',
    ),
    StudentAnswer(
        name="ae1-fit-print-every-batch",
        assignment="ae1_bottleneck",
        cell="fit-loop",
        correct=False,
        what="prints the loss of every batch to watch training (formats the tensor: a host sync per batch)",
        source=r'''def amp_dtype(device):
    """torch.float16 on CUDA, torch.bfloat16 elsewhere."""
    return torch.float16 if torch.device(device).type == "cuda" else torch.bfloat16


def fit_autoencoder(model, x, *, epochs, batch_size, lr, generator=None, amp=False):
    """Train model on x: (n, D) with Adam + MSE; return the per-epoch mean loss, shape (epochs,)."""
    device = next(model.parameters()).device
    x = x.to(device)
    n = len(x)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(device.type, enabled=amp and device.type == "cuda")
    losses = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator).to(device)
        total = torch.zeros((), device=device)
        for i, start in enumerate(range(0, n, batch_size)):
            xb = x[order[start:start + batch_size]]
            with torch.autocast(device.type, dtype=amp_dtype(device), enabled=amp):
                _, x_hat = model(xb)
                loss = torch.nn.functional.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total += loss.detach() * len(xb)
            print(f"epoch {epoch} batch {i}: loss {loss:.5f}")
        losses[epoch] = total / n
    return losses''',
    ),
    StudentAnswer(
        name="ae1-fit-batches-moved-in-loop",
        assignment="ae1_bottleneck",
        cell="fit-loop",
        correct=False,
        what="keeps x on the CPU and moves every mini-batch to the device inside the loop (step 1 asks for once)",
        source=r'''def amp_dtype(device):
    """torch.float16 on CUDA, torch.bfloat16 elsewhere."""
    return torch.float16 if torch.device(device).type == "cuda" else torch.bfloat16


def fit_autoencoder(model, x, *, epochs, batch_size, lr, generator=None, amp=False):
    """Train model on x: (n, D) with Adam + MSE; return the per-epoch mean loss, shape (epochs,)."""
    device = next(model.parameters()).device
    x = x.cpu()
    n = len(x)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(device.type, enabled=amp and device.type == "cuda")
    losses = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            xb = x[order[start:start + batch_size]].to(device)
            with torch.autocast(device.type, dtype=amp_dtype(device), enabled=amp):
                _, x_hat = model(xb)
                loss = torch.nn.functional.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total += loss.detach() * len(xb)
        losses[epoch] = total / n
    return losses''',
    ),
    StudentAnswer(
        name="ae1-fit-mean-of-batch-means",
        assignment="ae1_bottleneck",
        cell="fit-loop",
        correct=False,
        what="epoch loss = plain mean of the batch losses: the smaller last batch counts as much as a full one",
        source=r'''def amp_dtype(device):
    """torch.float16 on CUDA, torch.bfloat16 elsewhere."""
    return torch.float16 if torch.device(device).type == "cuda" else torch.bfloat16


def fit_autoencoder(model, x, *, epochs, batch_size, lr, generator=None, amp=False):
    """Train model on x: (n, D) with Adam + MSE; return the per-epoch mean loss, shape (epochs,)."""
    device = next(model.parameters()).device
    x = x.to(device)
    n = len(x)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(device.type, enabled=amp and device.type == "cuda")
    losses = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator).to(device)
        batch_losses = []
        for start in range(0, n, batch_size):
            xb = x[order[start:start + batch_size]]
            with torch.autocast(device.type, dtype=amp_dtype(device), enabled=amp):
                _, x_hat = model(xb)
                loss = torch.nn.functional.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            batch_losses.append(loss.detach())
        losses[epoch] = torch.stack(batch_losses).mean()
    return losses''',
    ),
    StudentAnswer(
        name="ae1-fit-no-gradscaler",
        assignment="ae1_bottleneck",
        cell="fit-loop",
        correct=False,
        what="mixed precision without a GradScaler: float16 on CUDA backpropagates an unscaled loss",
        source=r'''def amp_dtype(device):
    """torch.float16 on CUDA, torch.bfloat16 elsewhere."""
    return torch.float16 if torch.device(device).type == "cuda" else torch.bfloat16


def fit_autoencoder(model, x, *, epochs, batch_size, lr, generator=None, amp=False):
    """Train model on x: (n, D) with Adam + MSE; return the per-epoch mean loss, shape (epochs,)."""
    device = next(model.parameters()).device
    x = x.to(device)
    n = len(x)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            xb = x[order[start:start + batch_size]]
            with torch.autocast(device.type, dtype=amp_dtype(device), enabled=amp):
                _, x_hat = model(xb)
                loss = torch.nn.functional.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(xb)
        losses[epoch] = total / n
    return losses''',
    ),
    StudentAnswer(
        name="ae1-fit-scaler-never-updated",
        assignment="ae1_bottleneck",
        cell="fit-loop",
        correct=False,
        what="uses a GradScaler but forgets scaler.update(): the scale never adapts (and one overflow skips steps forever)",
        source=r'''def amp_dtype(device):
    """torch.float16 on CUDA, torch.bfloat16 elsewhere."""
    return torch.float16 if torch.device(device).type == "cuda" else torch.bfloat16


def fit_autoencoder(model, x, *, epochs, batch_size, lr, generator=None, amp=False):
    """Train model on x: (n, D) with Adam + MSE; return the per-epoch mean loss, shape (epochs,)."""
    device = next(model.parameters()).device
    x = x.to(device)
    n = len(x)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(device.type, enabled=amp and device.type == "cuda")
    losses = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            xb = x[order[start:start + batch_size]]
            with torch.autocast(device.type, dtype=amp_dtype(device), enabled=amp):
                _, x_hat = model(xb)
                loss = torch.nn.functional.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            total += loss.detach() * len(xb)
        losses[epoch] = total / n
    return losses''',
    ),
    StudentAnswer(
        name="ae1-fit-str-device-check",
        assignment="ae1_bottleneck",
        cell="fit-loop",
        correct=False,
        what="amp_dtype compares str(device) == 'cuda': 'cuda:0' (and torch.device('cuda', 0)) get bfloat16",
        source=r'''def amp_dtype(device):
    """torch.float16 on CUDA, torch.bfloat16 elsewhere."""
    if str(device) == "cuda":
        return torch.float16
    return torch.bfloat16


def fit_autoencoder(model, x, *, epochs, batch_size, lr, generator=None, amp=False):
    """Train model on x: (n, D) with Adam + MSE; return the per-epoch mean loss, shape (epochs,)."""
    device = next(model.parameters()).device
    x = x.to(device)
    n = len(x)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(device.type, enabled=amp and device.type == "cuda")
    losses = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            xb = x[order[start:start + batch_size]]
            with torch.autocast(device.type, dtype=amp_dtype(device), enabled=amp):
                _, x_hat = model(xb)
                loss = torch.nn.functional.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total += loss.detach() * len(xb)
        losses[epoch] = total / n
    return losses''',
    ),
    StudentAnswer(
        name="ae1-fit-history-on-cpu",
        assignment="ae1_bottleneck",
        cell="fit-loop",
        correct=False,
        what="the history tensor is created with torch.zeros(epochs): on the CPU, not the model's device",
        source=r'''def amp_dtype(device):
    """torch.float16 on CUDA, torch.bfloat16 elsewhere."""
    return torch.float16 if torch.device(device).type == "cuda" else torch.bfloat16


def fit_autoencoder(model, x, *, epochs, batch_size, lr, generator=None, amp=False):
    """Train model on x: (n, D) with Adam + MSE; return the per-epoch mean loss, shape (epochs,)."""
    device = next(model.parameters()).device
    x = x.to(device)
    n = len(x)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(device.type, enabled=amp and device.type == "cuda")
    losses = torch.zeros(epochs)
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            xb = x[order[start:start + batch_size]]
            with torch.autocast(device.type, dtype=amp_dtype(device), enabled=amp):
                _, x_hat = model(xb)
                loss = torch.nn.functional.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total += loss.detach() * len(xb)
        losses[epoch] = total / n
    return losses''',
    ),
    StudentAnswer(
        name="ae1-fit-no-zero-grad",
        assignment="ae1_bottleneck",
        cell="fit-loop",
        correct=False,
        what="never calls optimizer.zero_grad(): gradients pile up over the batches and epochs",
        source=r'''def amp_dtype(device):
    """torch.float16 on CUDA, torch.bfloat16 elsewhere."""
    return torch.float16 if torch.device(device).type == "cuda" else torch.bfloat16


def fit_autoencoder(model, x, *, epochs, batch_size, lr, generator=None, amp=False):
    """Train model on x: (n, D) with Adam + MSE; return the per-epoch mean loss, shape (epochs,)."""
    device = next(model.parameters()).device
    x = x.to(device)
    n = len(x)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(device.type, enabled=amp and device.type == "cuda")
    losses = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            xb = x[order[start:start + batch_size]]
            with torch.autocast(device.type, dtype=amp_dtype(device), enabled=amp):
                _, x_hat = model(xb)
                loss = torch.nn.functional.mse_loss(x_hat, xb)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total += loss.detach() * len(xb)
        losses[epoch] = total / n
    return losses''',
    ),
    StudentAnswer(
        name="ae1-fit-drops-last-batch",
        assignment="ae1_bottleneck",
        cell="fit-loop",
        correct=False,
        what="off by one: range(0, n - batch_size + 1, batch_size) drops the last, smaller batch (not every sample each epoch)",
        source=r'''def amp_dtype(device):
    """torch.float16 on CUDA, torch.bfloat16 elsewhere."""
    return torch.float16 if torch.device(device).type == "cuda" else torch.bfloat16


def fit_autoencoder(model, x, *, epochs, batch_size, lr, generator=None, amp=False):
    """Train model on x: (n, D) with Adam + MSE; return the per-epoch mean loss, shape (epochs,)."""
    device = next(model.parameters()).device
    x = x.to(device)
    n = len(x)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(device.type, enabled=amp and device.type == "cuda")
    losses = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator).to(device)
        total = torch.zeros((), device=device)
        seen = 0
        for start in range(0, n - batch_size + 1, batch_size):
            xb = x[order[start:start + batch_size]]
            with torch.autocast(device.type, dtype=amp_dtype(device), enabled=amp):
                _, x_hat = model(xb)
                loss = torch.nn.functional.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total += loss.detach() * len(xb)
            seen += len(xb)
        losses[epoch] = total / seen
    return losses''',
    ),
    StudentAnswer(
        name="ae1-fit-per-sample-sum",
        assignment="ae1_bottleneck",
        cell="fit-loop",
        correct=False,
        what="loss summed over the D features of each sample, then averaged: the history is per sample, not per element",
        source=r'''def amp_dtype(device):
    """torch.float16 on CUDA, torch.bfloat16 elsewhere."""
    return torch.float16 if torch.device(device).type == "cuda" else torch.bfloat16


def fit_autoencoder(model, x, *, epochs, batch_size, lr, generator=None, amp=False):
    """Train model on x: (n, D) with Adam + MSE; return the per-epoch mean loss, shape (epochs,)."""
    device = next(model.parameters()).device
    x = x.to(device)
    n = len(x)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(device.type, enabled=amp and device.type == "cuda")
    losses = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            xb = x[order[start:start + batch_size]]
            with torch.autocast(device.type, dtype=amp_dtype(device), enabled=amp):
                _, x_hat = model(xb)
                loss = ((x_hat - xb) ** 2).sum(dim=1).mean()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total += loss.detach() * len(xb)
        losses[epoch] = total / n
    return losses''',
    ),
    StudentAnswer(
        name="ae1-fit-handoff",
        assignment="ae1_bottleneck",
        cell="fit-loop",
        correct=False,
        what="hand-off: wraps aeutils.train.fit (the library loop the part asks to write) and returns its history",
        source=r'''def amp_dtype(device):
    """torch.float16 on CUDA, torch.bfloat16 elsewhere."""
    return torch.float16 if torch.device(device).type == "cuda" else torch.bfloat16


def fit_autoencoder(model, x, *, epochs, batch_size, lr, generator=None, amp=False):
    """Train model on x: (n, D) with Adam + MSE; return the per-epoch mean loss, shape (epochs,)."""
    device = next(model.parameters()).device

    def mse(m, xb):
        return torch.nn.functional.mse_loss(m(xb)[1], xb)

    history = aeutils.train.fit(model, x, epochs=epochs, batch_size=batch_size, lr=lr,
                                loss_fn=mse, device=device, quiet=True)
    return torch.tensor(history.loss, dtype=torch.float32, device=device)''',
    ),
    # Part 5: train-linear
    StudentAnswer(
        name="ae1-train-linear-full-batch",
        assignment="ae1_bottleneck",
        cell="train-linear",
        correct=True,
        what="full-batch Adam, 500 epochs at lr 0.02 on centred digits; held-out error and angles against PCA",
        source=r'''aeutils.seed_everything(0)
linear_model = LinearAE(64, 4).to(device)
LINEAR_SETTINGS = {"epochs": 500, "batch_size": len(x_train), "lr": 0.02}
xc_train = x_train - mean
xc_test = x_test - mean
linear_history = fit_autoencoder(linear_model, xc_train, **LINEAR_SETTINGS,
                                 generator=torch.Generator().manual_seed(0))
with torch.no_grad():
    _, recon = linear_model(xc_test.to(device))
linear_test_error = float(((recon.cpu() - xc_test) ** 2).mean())
ratio = linear_test_error / pca4.error
angles = principal_angles(linear_model.decoder.weight.detach(), torch.as_tensor(pca4.components).T)
print(f"held-out: autoencoder {linear_test_error:.6f}, PCA {pca4.error:.6f}, ratio {ratio:.5f}; "
      f"largest angle {float(max(angles)):.2f} degrees")''',
    ),
    StudentAnswer(
        name="ae1-train-linear-minibatch",
        assignment="ae1_bottleneck",
        cell="train-linear",
        correct=True,
        what="mini-batches of 256 at lr 0.01 for 200 epochs; error with F.mse_loss in eval mode; components via from_numpy",
        source=r'''aeutils.seed_everything(0)
linear_model = LinearAE(64, 4).to(device)
LINEAR_SETTINGS = dict(epochs=200, batch_size=256, lr=1e-2)
centred_train = (x_train - mean).to(device)
centred_test = (x_test - mean).to(device)
fit_autoencoder(linear_model, centred_train, **LINEAR_SETTINGS)
linear_model.eval()
with torch.no_grad():
    linear_test_error = torch.nn.functional.mse_loss(linear_model(centred_test)[1], centred_test).item()
ratio = linear_test_error / pca4.error
pca_directions = torch.from_numpy(pca4.components.T.copy())  # (64, 4)
angles = principal_angles(linear_model.decoder.weight.detach(), pca_directions)
print(f"held-out: autoencoder {linear_test_error:.6f}, PCA {pca4.error:.6f}, ratio {ratio:.5f}; "
      f"largest angle {float(max(angles)):.2f} degrees")''',
    ),
    StudentAnswer(
        name="ae1-train-linear-uncentred",
        assignment="ae1_bottleneck",
        cell="train-linear",
        correct=False,
        what="forgets to centre: trains and evaluates on the raw digits, so the biases must learn the mean",
        source=r'''aeutils.seed_everything(0)
linear_model = LinearAE(64, 4).to(device)
LINEAR_SETTINGS = {"epochs": 500, "batch_size": len(x_train), "lr": 0.02}
fit_autoencoder(linear_model, x_train, **LINEAR_SETTINGS)
with torch.no_grad():
    _, recon = linear_model(x_test.to(device))
linear_test_error = float(((recon.cpu() - x_test) ** 2).mean())
ratio = linear_test_error / pca4.error
angles = principal_angles(linear_model.decoder.weight.detach(), torch.as_tensor(pca4.components).T)
print(f"held-out: autoencoder {linear_test_error:.6f}, PCA {pca4.error:.6f}, ratio {ratio:.5f}; "
      f"largest angle {float(max(angles)):.2f} degrees")''',
    ),
    StudentAnswer(
        name="ae1-train-linear-train-error",
        assignment="ae1_bottleneck",
        cell="train-linear",
        correct=False,
        what="evaluates on the training digits: the ratio divides a training error by PCA's held-out error",
        source=r'''aeutils.seed_everything(0)
linear_model = LinearAE(64, 4).to(device)
LINEAR_SETTINGS = {"epochs": 500, "batch_size": len(x_train), "lr": 0.02}
xc_train = x_train - mean
fit_autoencoder(linear_model, xc_train, **LINEAR_SETTINGS)
with torch.no_grad():
    _, recon = linear_model(xc_train.to(device))
linear_test_error = float(((recon.cpu() - xc_train) ** 2).mean())
ratio = linear_test_error / pca4.error
angles = principal_angles(linear_model.decoder.weight.detach(), torch.as_tensor(pca4.components).T)
print(f"held-out: autoencoder {linear_test_error:.6f}, PCA {pca4.error:.6f}, ratio {ratio:.5f}; "
      f"largest angle {float(max(angles)):.2f} degrees")''',
    ),
    StudentAnswer(
        name="ae1-train-linear-train-plus-test",
        assignment="ae1_bottleneck",
        cell="train-linear",
        correct=False,
        what="trains on the training and the held-out digits together (more data), then reports the held-out error",
        source=r'''aeutils.seed_everything(0)
linear_model = LinearAE(64, 4).to(device)
LINEAR_SETTINGS = {"epochs": 500, "batch_size": len(x), "lr": 0.02}
all_centred = torch.cat([x_train, x_test]) - mean
fit_autoencoder(linear_model, all_centred, **LINEAR_SETTINGS)
xc_test = x_test - mean
with torch.no_grad():
    _, recon = linear_model(xc_test.to(device))
linear_test_error = float(((recon.cpu() - xc_test) ** 2).mean())
ratio = linear_test_error / pca4.error
angles = principal_angles(linear_model.decoder.weight.detach(), torch.as_tensor(pca4.components).T)
print(f"held-out: autoencoder {linear_test_error:.6f}, PCA {pca4.error:.6f}, ratio {ratio:.5f}; "
      f"largest angle {float(max(angles)):.2f} degrees")''',
    ),
    StudentAnswer(
        name="ae1-train-linear-too-few-epochs",
        assignment="ae1_bottleneck",
        cell="train-linear",
        correct=False,
        what="30 full-batch epochs: far from PCA's error and subspace",
        source=r'''aeutils.seed_everything(0)
linear_model = LinearAE(64, 4).to(device)
LINEAR_SETTINGS = {"epochs": 30, "batch_size": len(x_train), "lr": 0.02}
xc_train = x_train - mean
xc_test = x_test - mean
fit_autoencoder(linear_model, xc_train, **LINEAR_SETTINGS)
with torch.no_grad():
    _, recon = linear_model(xc_test.to(device))
linear_test_error = float(((recon.cpu() - xc_test) ** 2).mean())
ratio = linear_test_error / pca4.error
angles = principal_angles(linear_model.decoder.weight.detach(), torch.as_tensor(pca4.components).T)
print(f"held-out: autoencoder {linear_test_error:.6f}, PCA {pca4.error:.6f}, ratio {ratio:.5f}; "
      f"largest angle {float(max(angles)):.2f} degrees")''',
    ),
    StudentAnswer(
        name="ae1-train-linear-too-many-epochs",
        assignment="ae1_bottleneck",
        cell="train-linear",
        correct=False,
        what="1500 epochs at a small lr: reaches the thresholds but breaks the 'at most 500 epochs' rule",
        source=r'''aeutils.seed_everything(0)
linear_model = LinearAE(64, 4).to(device)
LINEAR_SETTINGS = {"epochs": 1500, "batch_size": len(x_train), "lr": 0.01}
xc_train = x_train - mean
xc_test = x_test - mean
fit_autoencoder(linear_model, xc_train, **LINEAR_SETTINGS)
with torch.no_grad():
    _, recon = linear_model(xc_test.to(device))
linear_test_error = float(((recon.cpu() - xc_test) ** 2).mean())
ratio = linear_test_error / pca4.error
angles = principal_angles(linear_model.decoder.weight.detach(), torch.as_tensor(pca4.components).T)
print(f"held-out: autoencoder {linear_test_error:.6f}, PCA {pca4.error:.6f}, ratio {ratio:.5f}; "
      f"largest angle {float(max(angles)):.2f} degrees")''',
    ),
    StudentAnswer(
        name="ae1-train-linear-test-own-mean",
        assignment="ae1_bottleneck",
        cell="train-linear",
        correct=False,
        what="centres the held-out digits with their own mean instead of the training mean",
        source=r'''aeutils.seed_everything(0)
linear_model = LinearAE(64, 4).to(device)
LINEAR_SETTINGS = {"epochs": 500, "batch_size": len(x_train), "lr": 0.02}
xc_train = x_train - mean
xc_test = x_test - x_test.mean(dim=0)
fit_autoencoder(linear_model, xc_train, **LINEAR_SETTINGS)
with torch.no_grad():
    _, recon = linear_model(xc_test.to(device))
linear_test_error = float(((recon.cpu() - xc_test) ** 2).mean())
ratio = linear_test_error / pca4.error
angles = principal_angles(linear_model.decoder.weight.detach(), torch.as_tensor(pca4.components).T)
print(f"held-out: autoencoder {linear_test_error:.6f}, PCA {pca4.error:.6f}, ratio {ratio:.5f}; "
      f"largest angle {float(max(angles)):.2f} degrees")''',
    ),
    # Part 6: mlp-ae
    StudentAnswer(
        name="ae1-mlp-plain",
        assignment="ae1_bottleneck",
        cell="mlp-ae",
        correct=True,
        what="nn.Sequential encoder/decoder as specified; 10 epochs, batch 128, lr 3e-3; .tolist() before stopping the clock",
        source=r'''class MLPAE(nn.Module):
    """784 -> 256 -> 16 -> 256 -> 784, ReLU inside, sigmoid output."""

    def __init__(self, input_dim=784, hidden=256, code_size=16):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(input_dim, hidden), nn.ReLU(), nn.Linear(hidden, code_size))
        self.decoder = nn.Sequential(nn.Linear(code_size, hidden), nn.ReLU(),
                                     nn.Linear(hidden, input_dim), nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)


aeutils.seed_everything(0)
mlp_model = MLPAE().to(device)
epochs = 10
start = time.perf_counter()
mlp_history = fit_autoencoder(mlp_model, xm_train, epochs=epochs, batch_size=128, lr=3e-3,
                              generator=torch.Generator().manual_seed(0))
mlp_history = mlp_history.tolist()  # the one sync: waits for all the queued work
seconds = time.perf_counter() - start
mlp_samples_per_second = epochs * len(xm_train) / seconds
mlp_model.eval()
with torch.no_grad():
    _, recon = mlp_model(xm_test.to(device))
    mlp_test_error = float(((recon - xm_test.to(device)) ** 2).mean())
print(f"held-out MSE: MLP {mlp_test_error:.5f}, PCA {pca16_error:.5f} "
      f"(ratio {mlp_test_error / pca16_error:.3f}); {mlp_samples_per_second:,.0f} samples/s")''',
    ),
    StudentAnswer(
        name="ae1-mlp-amp",
        assignment="ae1_bottleneck",
        cell="mlp-ae",
        correct=True,
        what="decoder built first, layers listed by name; trains 12 epochs with amp=True; inference_mode and F.mse_loss",
        source=r'''import torch.nn.functional as F


class MLPAE(nn.Module):
    """784 -> 256 -> 16 -> 256 -> 784, ReLU inside, sigmoid output."""

    def __init__(self):
        super().__init__()
        decoder_layers = [nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid()]
        encoder_layers = [nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 16)]
        self.decoder = nn.Sequential(*decoder_layers)
        self.encoder = nn.Sequential(*encoder_layers)

    def forward(self, x):
        code = self.encoder(x)
        return code, self.decoder(code)

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)


aeutils.seed_everything(0)
mlp_model = MLPAE().to(device)
n_epochs = 12
t0 = time.perf_counter()
losses = fit_autoencoder(mlp_model, xm_train, epochs=n_epochs, batch_size=128, lr=3e-3, amp=True)
print("losses per epoch:", [round(v, 4) for v in losses.tolist()])
elapsed = time.perf_counter() - t0
mlp_samples_per_second = n_epochs * xm_train.shape[0] / elapsed
mlp_model.eval()
with torch.inference_mode():
    x_test_dev = xm_test.to(device)
    mlp_test_error = F.mse_loss(mlp_model(x_test_dev)[1], x_test_dev).item()
print(f"held-out MSE: MLP {mlp_test_error:.5f}, PCA {pca16_error:.5f} "
      f"(ratio {mlp_test_error / pca16_error:.3f}); {mlp_samples_per_second:,.0f} samples/s")''',
    ),
    StudentAnswer(
        name="ae1-mlp-no-sigmoid",
        assignment="ae1_bottleneck",
        cell="mlp-ae",
        correct=False,
        what="decoder without the final Sigmoid: outputs are not confined to [0, 1]",
        source=r'''class MLPAE(nn.Module):
    """784 -> 256 -> 16 -> 256 -> 784, ReLU inside, sigmoid output."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 16))
        self.decoder = nn.Sequential(nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 784))

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)


aeutils.seed_everything(0)
mlp_model = MLPAE().to(device)
epochs = 10
start = time.perf_counter()
fit_autoencoder(mlp_model, xm_train, epochs=epochs, batch_size=128, lr=3e-3).tolist()
seconds = time.perf_counter() - start
mlp_samples_per_second = epochs * len(xm_train) / seconds
mlp_model.eval()
with torch.no_grad():
    _, recon = mlp_model(xm_test.to(device))
    mlp_test_error = float(((recon - xm_test.to(device)) ** 2).mean())
print(f"held-out MSE: MLP {mlp_test_error:.5f}, PCA {pca16_error:.5f} "
      f"(ratio {mlp_test_error / pca16_error:.3f}); {mlp_samples_per_second:,.0f} samples/s")''',
    ),
    StudentAnswer(
        name="ae1-mlp-linear-encoder",
        assignment="ae1_bottleneck",
        cell="mlp-ae",
        correct=False,
        what="missing nonlinearity: the encoder has no ReLU between its two linear layers",
        source=r'''class MLPAE(nn.Module):
    """784 -> 256 -> 16 -> 256 -> 784, ReLU inside, sigmoid output."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, 256), nn.Linear(256, 16))
        self.decoder = nn.Sequential(nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)


aeutils.seed_everything(0)
mlp_model = MLPAE().to(device)
epochs = 10
start = time.perf_counter()
fit_autoencoder(mlp_model, xm_train, epochs=epochs, batch_size=128, lr=3e-3).tolist()
seconds = time.perf_counter() - start
mlp_samples_per_second = epochs * len(xm_train) / seconds
mlp_model.eval()
with torch.no_grad():
    _, recon = mlp_model(xm_test.to(device))
    mlp_test_error = float(((recon - xm_test.to(device)) ** 2).mean())
print(f"held-out MSE: MLP {mlp_test_error:.5f}, PCA {pca16_error:.5f} "
      f"(ratio {mlp_test_error / pca16_error:.3f}); {mlp_samples_per_second:,.0f} samples/s")''',
    ),
    StudentAnswer(
        name="ae1-mlp-throughput-one-epoch",
        assignment="ae1_bottleneck",
        cell="mlp-ae",
        correct=False,
        what="throughput = 4,000 / seconds for a 10-epoch run (forgot the number of epochs): 10x too low",
        source=r'''class MLPAE(nn.Module):
    """784 -> 256 -> 16 -> 256 -> 784, ReLU inside, sigmoid output."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 16))
        self.decoder = nn.Sequential(nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)


aeutils.seed_everything(0)
mlp_model = MLPAE().to(device)
start = time.perf_counter()
fit_autoencoder(mlp_model, xm_train, epochs=10, batch_size=128, lr=3e-3).tolist()
seconds = time.perf_counter() - start
mlp_samples_per_second = len(xm_train) / seconds
mlp_model.eval()
with torch.no_grad():
    _, recon = mlp_model(xm_test.to(device))
    mlp_test_error = float(((recon - xm_test.to(device)) ** 2).mean())
print(f"held-out MSE: MLP {mlp_test_error:.5f}, PCA {pca16_error:.5f} "
      f"(ratio {mlp_test_error / pca16_error:.3f}); {mlp_samples_per_second:,.0f} samples/s")''',
    ),
    StudentAnswer(
        name="ae1-mlp-training-error",
        assignment="ae1_bottleneck",
        cell="mlp-ae",
        correct=False,
        what="mlp_test_error measured on the 4,000 training images, not the held-out ones",
        source=r'''class MLPAE(nn.Module):
    """784 -> 256 -> 16 -> 256 -> 784, ReLU inside, sigmoid output."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 16))
        self.decoder = nn.Sequential(nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)


aeutils.seed_everything(0)
mlp_model = MLPAE().to(device)
epochs = 10
start = time.perf_counter()
fit_autoencoder(mlp_model, xm_train, epochs=epochs, batch_size=128, lr=3e-3).tolist()
seconds = time.perf_counter() - start
mlp_samples_per_second = epochs * len(xm_train) / seconds
mlp_model.eval()
with torch.no_grad():
    _, recon = mlp_model(xm_train.to(device))
    mlp_test_error = float(((recon - xm_train.to(device)) ** 2).mean())
print(f"held-out MSE: MLP {mlp_test_error:.5f}, PCA {pca16_error:.5f} "
      f"(ratio {mlp_test_error / pca16_error:.3f}); {mlp_samples_per_second:,.0f} samples/s")''',
    ),
    StudentAnswer(
        name="ae1-mlp-one-epoch",
        assignment="ae1_bottleneck",
        cell="mlp-ae",
        correct=False,
        what="trains a single epoch to save time: not enough to beat 0.85 x PCA",
        source=r'''class MLPAE(nn.Module):
    """784 -> 256 -> 16 -> 256 -> 784, ReLU inside, sigmoid output."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 16))
        self.decoder = nn.Sequential(nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)


aeutils.seed_everything(0)
mlp_model = MLPAE().to(device)
epochs = 1
start = time.perf_counter()
fit_autoencoder(mlp_model, xm_train, epochs=epochs, batch_size=128, lr=3e-3).tolist()
seconds = time.perf_counter() - start
mlp_samples_per_second = epochs * len(xm_train) / seconds
mlp_model.eval()
with torch.no_grad():
    _, recon = mlp_model(xm_test.to(device))
    mlp_test_error = float(((recon - xm_test.to(device)) ** 2).mean())
print(f"held-out MSE: MLP {mlp_test_error:.5f}, PCA {pca16_error:.5f} "
      f"(ratio {mlp_test_error / pca16_error:.3f}); {mlp_samples_per_second:,.0f} samples/s")''',
    ),
    StudentAnswer(
        name="ae1-mlp-per-image-sum",
        assignment="ae1_bottleneck",
        cell="mlp-ae",
        correct=False,
        what="mlp_test_error sums the squared error over the 784 pixels of each image (per image, not per element)",
        source=r'''class MLPAE(nn.Module):
    """784 -> 256 -> 16 -> 256 -> 784, ReLU inside, sigmoid output."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 16))
        self.decoder = nn.Sequential(nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)


aeutils.seed_everything(0)
mlp_model = MLPAE().to(device)
epochs = 10
start = time.perf_counter()
fit_autoencoder(mlp_model, xm_train, epochs=epochs, batch_size=128, lr=3e-3).tolist()
seconds = time.perf_counter() - start
mlp_samples_per_second = epochs * len(xm_train) / seconds
mlp_model.eval()
with torch.no_grad():
    _, recon = mlp_model(xm_test.to(device))
    mlp_test_error = float(((recon - xm_test.to(device)) ** 2).sum(dim=1).mean())
print(f"held-out MSE: MLP {mlp_test_error:.5f}, PCA {pca16_error:.5f} "
      f"(ratio {mlp_test_error / pca16_error:.3f}); {mlp_samples_per_second:,.0f} samples/s")''',
    ),
    StudentAnswer(
        name="ae1-mlp-library-loop",
        assignment="ae1_bottleneck",
        cell="mlp-ae",
        correct=False,
        what="hand-off: trains with aeutils.train.fit instead of the student's own fit_autoencoder",
        source=r'''class MLPAE(nn.Module):
    """784 -> 256 -> 16 -> 256 -> 784, ReLU inside, sigmoid output."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 16))
        self.decoder = nn.Sequential(nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)


aeutils.seed_everything(0)
mlp_model = MLPAE().to(device)
epochs = 10
history = aeutils.train.fit(mlp_model, xm_train, epochs=epochs, batch_size=128, lr=3e-3, device=device,
                            loss_fn=lambda m, xb: torch.nn.functional.mse_loss(m(xb)[1], xb), quiet=True)
mlp_samples_per_second = epochs * len(xm_train) / history.seconds
mlp_model.eval()
with torch.no_grad():
    _, recon = mlp_model(xm_test.to(device))
    mlp_test_error = float(((recon - xm_test.to(device)) ** 2).mean())
print(f"held-out MSE: MLP {mlp_test_error:.5f}, PCA {pca16_error:.5f} "
      f"(ratio {mlp_test_error / pca16_error:.3f}); {mlp_samples_per_second:,.0f} samples/s")''',
    ),
]
