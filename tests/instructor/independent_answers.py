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
    survives: str | None = None  # a wrong answer the hidden tests do not catch yet: why (an xfail)


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
    # ------------------------------------------------------------------ ae2_sparse
    # Part 1: l1-penalty
    StudentAnswer(
        name="ae2-l1-sum-then-mean",
        assignment="ae2_sparse",
        cell="l1-penalty",
        correct=True,
        what="abs, sum over units (dim=1), mean over the batch",
        source=r'''def l1_penalty(h):
    """h: (batch, d) -> scalar tensor: mean over the batch of sum_j |h_j|."""
    return h.abs().sum(dim=1).mean()''',
    ),
    StudentAnswer(
        name="ae2-l1-total-over-batch",
        assignment="ae2_sparse",
        cell="l1-penalty",
        correct=True,
        what="sum of all absolute values divided by the batch size",
        source=r'''def l1_penalty(h):
    """h: (batch, d) -> scalar tensor: mean over the batch of sum_j |h_j|."""
    batch_size = h.shape[0]
    return torch.sum(torch.abs(h)) / batch_size''',
    ),
    StudentAnswer(
        name="ae2-l1-vector-norm",
        assignment="ae2_sparse",
        cell="l1-penalty",
        correct=True,
        what="the L1 norm of each row (torch.linalg.vector_norm, ord=1), averaged",
        source=r'''def l1_penalty(h):
    """h: (batch, d) -> scalar tensor: mean over the batch of sum_j |h_j|."""
    per_sample = torch.linalg.vector_norm(h, ord=1, dim=1)  # (batch,)
    return per_sample.mean()''',
    ),
    StudentAnswer(
        name="ae2-l1-mean-everything",
        assignment="ae2_sparse",
        cell="l1-penalty",
        correct=False,
        what="mean of |h| over every entry: divides by d as well as by the batch",
        source=r'''def l1_penalty(h):
    """h: (batch, d) -> scalar tensor: mean over the batch of sum_j |h_j|."""
    return h.abs().mean()''',
    ),
    StudentAnswer(
        name="ae2-l1-no-abs",
        assignment="ae2_sparse",
        cell="l1-penalty",
        correct=False,
        what="forgets the absolute value: sums the signed activations",
        source=r'''def l1_penalty(h):
    """h: (batch, d) -> scalar tensor: mean over the batch of sum_j |h_j|."""
    return h.sum(dim=1).mean()''',
    ),
    StudentAnswer(
        name="ae2-l1-no-batch-mean",
        assignment="ae2_sparse",
        cell="l1-penalty",
        correct=False,
        what="sum of |h| over the whole batch, not averaged over the batch",
        source=r'''def l1_penalty(h):
    """h: (batch, d) -> scalar tensor: mean over the batch of sum_j |h_j|."""
    return h.abs().sum()''',
    ),
    StudentAnswer(
        name="ae2-l1-handoff",
        assignment="ae2_sparse",
        cell="l1-penalty",
        correct=False,
        what="hand-off: returns aeutils.losses.l1_sparsity(h)",
        source=r'''def l1_penalty(h):
    """h: (batch, d) -> scalar tensor: mean over the batch of sum_j |h_j|."""
    return aeutils.losses.l1_sparsity(h)''',
    ),
    StudentAnswer(
        name="ae2-l1-python-float",
        assignment="ae2_sparse",
        cell="l1-penalty",
        correct=False,
        what="wraps float(...) in a new tensor: right value, but autograd cannot differentiate it",
        source=r'''def l1_penalty(h):
    """h: (batch, d) -> scalar tensor: mean over the batch of sum_j |h_j|."""
    value = float(h.abs().sum(dim=1).mean())
    return torch.tensor(value)''',
    ),
    # Part 2: l1-subgradient
    StudentAnswer(
        name="ae2-subgrad-sign",
        assignment="ae2_sparse",
        cell="l1-subgradient",
        correct=True,
        what="torch.sign(h) divided by the batch size",
        source=r'''def l1_subgradient(h):
    """d l1_penalty(h) / d h, same shape as h, with the subgradient 0 where h == 0."""
    return torch.sign(h) / h.shape[0]''',
    ),
    StudentAnswer(
        name="ae2-subgrad-comparisons",
        assignment="ae2_sparse",
        cell="l1-subgradient",
        correct=True,
        what="(h > 0) - (h < 0) in h's dtype, over len(h)",
        source=r'''def l1_subgradient(h):
    """d l1_penalty(h) / d h, same shape as h, with the subgradient 0 where h == 0."""
    positive = (h > 0).to(h.dtype)
    negative = (h < 0).to(h.dtype)
    return (positive - negative) / len(h)''',
    ),
    StudentAnswer(
        name="ae2-subgrad-cpu-scalar",
        assignment="ae2_sparse",
        cell="l1-subgradient",
        correct=True,
        what="sign(h) divided by torch.tensor(batch size), a CPU scalar (fine on every device)",
        source=r'''def l1_subgradient(h):
    """d l1_penalty(h) / d h, same shape as h, with the subgradient 0 where h == 0."""
    batch = torch.tensor(h.shape[0])
    return torch.sign(h) / batch''',
    ),
    StudentAnswer(
        name="ae2-subgrad-where",
        assignment="ae2_sparse",
        cell="l1-subgradient",
        correct=True,
        what="nested torch.where with Python scalars 1, -1, 0, then divided by the batch size",
        source=r'''def l1_subgradient(h):
    """d l1_penalty(h) / d h, same shape as h, with the subgradient 0 where h == 0."""
    s = torch.where(h > 0, 1.0, torch.where(h < 0, -1.0, 0.0))
    return s.to(h.dtype) / h.size(0)''',
    ),
    StudentAnswer(
        name="ae2-subgrad-no-batch",
        assignment="ae2_sparse",
        cell="l1-subgradient",
        correct=False,
        what="sign(h) without the 1/B of the batch mean",
        source=r'''def l1_subgradient(h):
    """d l1_penalty(h) / d h, same shape as h, with the subgradient 0 where h == 0."""
    return torch.sign(h)''',
    ),
    StudentAnswer(
        name="ae2-subgrad-zero-is-one",
        assignment="ae2_sparse",
        cell="l1-subgradient",
        correct=False,
        what="uses +1 at h == 0 (h >= 0 counted as positive)",
        source=r'''def l1_subgradient(h):
    """d l1_penalty(h) / d h, same shape as h, with the subgradient 0 where h == 0."""
    return torch.where(h >= 0, 1.0, -1.0) / len(h)''',
    ),
    StudentAnswer(
        name="ae2-subgrad-divide-by-abs",
        assignment="ae2_sparse",
        cell="l1-subgradient",
        correct=False,
        what="h / |h|: division by zero gives NaN at h = 0",
        source=r'''def l1_subgradient(h):
    """d l1_penalty(h) / d h, same shape as h, with the subgradient 0 where h == 0."""
    return h / h.abs() / len(h)''',
    ),
    StudentAnswer(
        name="ae2-subgrad-numel",
        assignment="ae2_sparse",
        cell="l1-subgradient",
        correct=False,
        what="divides by the number of entries instead of the batch size",
        source=r'''def l1_subgradient(h):
    """d l1_penalty(h) / d h, same shape as h, with the subgradient 0 where h == 0."""
    return torch.sign(h) / h.numel()''',
    ),
    StudentAnswer(
        name="ae2-subgrad-cpu-zeros",
        assignment="ae2_sparse",
        cell="l1-subgradient",
        correct=False,
        what="fills a torch.zeros(h.shape) made on the CPU with boolean masks",
        source=r'''def l1_subgradient(h):
    """d l1_penalty(h) / d h, same shape as h, with the subgradient 0 where h == 0."""
    grad = torch.zeros(h.shape)
    grad[h > 0] = 1.0
    grad[h < 0] = -1.0
    return grad / len(h)''',
    ),
    # Part 3: kl-penalty
    StudentAnswer(
        name="ae2-kl-formula",
        assignment="ae2_sparse",
        cell="kl-penalty",
        correct=True,
        what="the formula as written, clamped mean activation per unit, summed",
        source=r'''def kl_penalty(h, rho=0.05):
    """h: (batch, d) in [0, 1] -> scalar tensor: sum_j KL(rho || mean activation of unit j)."""
    rho_hat = h.mean(dim=0).clamp(1e-6, 1 - 1e-6)
    kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
    return kl.sum()''',
    ),
    StudentAnswer(
        name="ae2-kl-log-differences",
        assignment="ae2_sparse",
        cell="kl-penalty",
        correct=True,
        what="log differences with math.log for the constants and log1p(-q)",
        source=r'''import math


def kl_penalty(h, rho=0.05):
    """h: (batch, d) in [0, 1] -> scalar tensor: sum_j KL(rho || mean activation of unit j)."""
    q = torch.clamp(h.mean(0), min=1e-6, max=1 - 1e-6)
    on = rho * (math.log(rho) - torch.log(q))
    off = (1 - rho) * (math.log(1 - rho) - torch.log1p(-q))
    return torch.sum(on + off)''',
    ),
    StudentAnswer(
        name="ae2-kl-cpu-scalar",
        assignment="ae2_sparse",
        cell="kl-penalty",
        correct=True,
        what="rho as a 0-dim CPU tensor in the formula (a CPU scalar mixes with any device)",
        source=r'''def kl_penalty(h, rho=0.05):
    """h: (batch, d) in [0, 1] -> scalar tensor: sum_j KL(rho || mean activation of unit j)."""
    r = torch.tensor(rho)
    q = h.mean(dim=0).clamp(1e-6, 1 - 1e-6)
    return (r * torch.log(r / q) + (1 - r) * torch.log((1 - r) / (1 - q))).sum()''',
    ),
    StudentAnswer(
        name="ae2-kl-bernoulli-kl-div",
        assignment="ae2_sparse",
        cell="kl-penalty",
        correct=True,
        what="stacks on/off probabilities and uses F.kl_div(log q, p, reduction='sum')",
        source=r'''def kl_penalty(h, rho=0.05):
    """h: (batch, d) in [0, 1] -> scalar tensor: sum_j KL(rho || mean activation of unit j)."""
    q = h.mean(dim=0).clamp(1e-6, 1 - 1e-6)
    q_both = torch.stack([q, 1 - q])  # (2, d): P(on), P(off) of every unit
    p_both = torch.stack([torch.full_like(q, rho), torch.full_like(q, 1 - rho)])
    return F.kl_div(q_both.log(), p_both, reduction="sum")''',
    ),
    StudentAnswer(
        name="ae2-kl-mean-over-units",
        assignment="ae2_sparse",
        cell="kl-penalty",
        correct=False,
        what="rho_hat averaged over the units of each sample (dim=1), not over the batch",
        source=r'''def kl_penalty(h, rho=0.05):
    """h: (batch, d) in [0, 1] -> scalar tensor: sum_j KL(rho || mean activation of unit j)."""
    rho_hat = h.mean(dim=1).clamp(1e-6, 1 - 1e-6)
    kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
    return kl.sum()''',
    ),
    StudentAnswer(
        name="ae2-kl-no-clamp",
        assignment="ae2_sparse",
        cell="kl-penalty",
        correct=False,
        what="no clamp: a unit that is always 0 (or 1) gives an infinite penalty",
        source=r'''def kl_penalty(h, rho=0.05):
    """h: (batch, d) in [0, 1] -> scalar tensor: sum_j KL(rho || mean activation of unit j)."""
    rho_hat = h.mean(dim=0)
    kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
    return kl.sum()''',
    ),
    StudentAnswer(
        name="ae2-kl-reversed",
        assignment="ae2_sparse",
        cell="kl-penalty",
        correct=False,
        what="the KL the other way round, KL(rho_hat || rho)",
        source=r'''def kl_penalty(h, rho=0.05):
    """h: (batch, d) in [0, 1] -> scalar tensor: sum_j KL(rho || mean activation of unit j)."""
    q = h.mean(dim=0).clamp(1e-6, 1 - 1e-6)
    kl = q * torch.log(q / rho) + (1 - q) * torch.log((1 - q) / (1 - rho))
    return kl.sum()''',
    ),
    StudentAnswer(
        name="ae2-kl-mean-not-sum",
        assignment="ae2_sparse",
        cell="kl-penalty",
        correct=False,
        what="averages the per-unit KL over units instead of summing it",
        source=r'''def kl_penalty(h, rho=0.05):
    """h: (batch, d) in [0, 1] -> scalar tensor: sum_j KL(rho || mean activation of unit j)."""
    rho_hat = h.mean(dim=0).clamp(1e-6, 1 - 1e-6)
    kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
    return kl.mean()''',
    ),
    StudentAnswer(
        name="ae2-kl-sum-activation",
        assignment="ae2_sparse",
        cell="kl-penalty",
        correct=False,
        what="uses the summed activation over the batch as rho_hat instead of the mean",
        source=r'''def kl_penalty(h, rho=0.05):
    """h: (batch, d) in [0, 1] -> scalar tensor: sum_j KL(rho || mean activation of unit j)."""
    rho_hat = h.sum(dim=0).clamp(1e-6, 1 - 1e-6)
    kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
    return kl.sum()''',
    ),
    StudentAnswer(
        name="ae2-kl-handoff",
        assignment="ae2_sparse",
        cell="kl-penalty",
        correct=False,
        what="hand-off: returns aeutils.losses.kl_sparsity(h, rho)",
        source=r'''def kl_penalty(h, rho=0.05):
    """h: (batch, d) in [0, 1] -> scalar tensor: sum_j KL(rho || mean activation of unit j)."""
    return aeutils.losses.kl_sparsity(h, rho=rho)''',
    ),
    # Part 4: topk
    StudentAnswer(
        name="ae2-topk-scatter",
        assignment="ae2_sparse",
        cell="topk",
        correct=True,
        what="torch.topk along dim=1, values scattered into zeros_like(h)",
        source=r'''def topk_activation(h, k):
    """h: (batch, d) -> (batch, d): each row keeps its k largest entries, the others become 0."""
    values, indices = torch.topk(h, k, dim=1)
    return torch.zeros_like(h).scatter(1, indices, values)''',
    ),
    StudentAnswer(
        name="ae2-topk-new-zeros",
        assignment="ae2_sparse",
        cell="topk",
        correct=True,
        what="h.new_zeros and an in-place scatter_ on that fresh tensor",
        source=r'''def topk_activation(h, k):
    """h: (batch, d) -> (batch, d): each row keeps its k largest entries, the others become 0."""
    top = h.topk(k, dim=1)
    out = h.new_zeros(h.shape)
    out.scatter_(1, top.indices, top.values)
    return out''',
    ),
    StudentAnswer(
        name="ae2-topk-bool-mask",
        assignment="ae2_sparse",
        cell="topk",
        correct=True,
        what="a boolean keep-mask scattered from the top-k indices, then torch.where(mask, h, 0)",
        source=r'''def topk_activation(h, k):
    """h: (batch, d) -> (batch, d): each row keeps its k largest entries, the others become 0."""
    idx = torch.topk(h, k, dim=1).indices
    keep = torch.zeros_like(h, dtype=torch.bool).scatter(1, idx, True)
    return torch.where(keep, h, torch.zeros_like(h))''',
    ),
    StudentAnswer(
        name="ae2-topk-cpu-zeros",
        assignment="ae2_sparse",
        cell="topk",
        correct=False,
        what="scatters into torch.zeros(h.shape): a CPU tensor whatever h's device",
        source=r'''def topk_activation(h, k):
    """h: (batch, d) -> (batch, d): each row keeps its k largest entries, the others become 0."""
    values, indices = torch.topk(h, k, dim=1)
    return torch.zeros(h.shape).scatter(1, indices, values)''',
    ),
    StudentAnswer(
        name="ae2-topk-by-magnitude",
        assignment="ae2_sparse",
        cell="topk",
        correct=False,
        what="keeps the k largest |h| (negative activations can win)",
        source=r'''def topk_activation(h, k):
    """h: (batch, d) -> (batch, d): each row keeps its k largest entries, the others become 0."""
    idx = h.abs().topk(k, dim=1).indices
    return torch.zeros_like(h).scatter(1, idx, h.gather(1, idx))''',
    ),
    StudentAnswer(
        name="ae2-topk-threshold-ties",
        assignment="ae2_sparse",
        cell="topk",
        correct=False,
        what="keeps every entry >= the k-th largest value: ties keep more than k",
        source=r'''def topk_activation(h, k):
    """h: (batch, d) -> (batch, d): each row keeps its k largest entries, the others become 0."""
    kth = torch.topk(h, k, dim=1).values[:, -1:]
    return h * (h >= kth)''',
    ),
    StudentAnswer(
        name="ae2-topk-off-by-one",
        assignment="ae2_sparse",
        cell="topk",
        correct=False,
        what="threshold at sorted index k instead of k - 1: keeps k + 1 entries",
        source=r'''def topk_activation(h, k):
    """h: (batch, d) -> (batch, d): each row keeps its k largest entries, the others become 0."""
    kth = h.sort(dim=1, descending=True).values[:, k:k + 1]
    return torch.where(h >= kth, h, torch.zeros_like(h))''',
    ),
    StudentAnswer(
        name="ae2-topk-in-place",
        assignment="ae2_sparse",
        cell="topk",
        correct=False,
        what="zeroes the losers in h itself and returns h (changes the input; breaks autograd after a ReLU)",
        source=r'''def topk_activation(h, k):
    """h: (batch, d) -> (batch, d): each row keeps its k largest entries, the others become 0."""
    idx = torch.topk(h, k, dim=1).indices
    keep = torch.zeros_like(h, dtype=torch.bool).scatter(1, idx, True)
    h[~keep] = 0
    return h''',
    ),
    StudentAnswer(
        name="ae2-topk-handoff",
        assignment="ae2_sparse",
        cell="topk",
        correct=False,
        what="hand-off: returns aeutils.losses.topk(h, k)",
        source=r'''def topk_activation(h, k):
    """h: (batch, d) -> (batch, d): each row keeps its k largest entries, the others become 0."""
    return aeutils.losses.topk(h, k)''',
    ),
    StudentAnswer(
        name="ae2-topk-wrong-dim",
        assignment="ae2_sparse",
        cell="topk",
        correct=False,
        what="top-k over the batch (dim=0) instead of within each row",
        source=r'''def topk_activation(h, k):
    """h: (batch, d) -> (batch, d): each row keeps its k largest entries, the others become 0."""
    values, indices = torch.topk(h, k, dim=0)
    return torch.zeros_like(h).scatter(0, indices, values)''',
    ),
    # Part 5: train-sparse
    StudentAnswer(
        name="ae2-sparse-stats",
        assignment="ae2_sparse",
        cell="train-sparse",
        correct=True,
        what="F.mse_loss plus weight * l1_penalty(h); the numbers from metrics.sparsity_stats",
        source=r'''device = aeutils.device()
aeutils.seed_everything(0)
weight = 0.005
model = models.SparseAutoencoder(64, 128, sparsity="none")


def sparse_loss(model, xb):
    """Reconstruction error plus weight times your L1 penalty on the code."""
    h, x_hat = model(xb)
    return F.mse_loss(x_hat, xb) + weight * l1_penalty(h)


history = train.fit(model, x, epochs=20, batch_size=256, lr=1e-2, loss_fn=sparse_loss,
                    device=device, quiet=True)
codes = train.encode(model, x)  # (1797, 128), on the CPU

stats = metrics.sparsity_stats(codes)
fraction_zero = stats.fraction_zero
dead_units = stats.dead_units
print(f"final loss {history.final:.4f}; {fraction_zero:.1%} of activations are exactly 0; "
      f"{dead_units} dead units")''',
    ),
    StudentAnswer(
        name="ae2-sparse-by-hand",
        assignment="ae2_sparse",
        cell="train-sparse",
        correct=True,
        what="counts zeros by hand: mean of (codes == 0), units zero on all rows",
        source=r'''device = aeutils.device()
aeutils.seed_everything(0)
weight = 0.005
model = models.SparseAutoencoder(64, 128, sparsity="none")


def sparse_loss(model, xb):
    """Reconstruction error plus weight times your L1 penalty on the code."""
    code, reconstruction = model(xb)
    mse = F.mse_loss(reconstruction, xb)
    return mse + weight * l1_penalty(code)


history = train.fit(model, x, epochs=20, batch_size=256, lr=1e-2, loss_fn=sparse_loss,
                    device=device, quiet=True)
codes = train.encode(model, x)  # (1797, 128), on the CPU

is_zero = codes == 0
fraction_zero = is_zero.float().mean().item()
dead_units = int(is_zero.all(dim=0).sum())
print(f"final loss {history.final:.4f}; {fraction_zero:.1%} of activations are exactly 0; "
      f"{dead_units} dead units")''',
    ),
    StudentAnswer(
        name="ae2-sparse-count-nonzero",
        assignment="ae2_sparse",
        cell="train-sparse",
        correct=True,
        what="squared error written out; 1 - count_nonzero / numel; dead units from column sums of |h|",
        source=r'''device = aeutils.device()
aeutils.seed_everything(0)
weight = 0.005
model = models.SparseAutoencoder(64, 128, sparsity="none")


def sparse_loss(model, xb):
    """Reconstruction error plus weight times your L1 penalty on the code."""
    h, x_hat = model(xb)
    return ((x_hat - xb) ** 2).mean() + weight * l1_penalty(h)


history = train.fit(model, x, epochs=20, batch_size=256, lr=1e-2, loss_fn=sparse_loss,
                    device=device, quiet=True)
codes = train.encode(model, x)  # (1797, 128), on the CPU

fraction_zero = 1.0 - codes.count_nonzero().item() / codes.numel()
dead_units = int((codes.abs().sum(dim=0) == 0).sum())
print(f"final loss {history.final:.4f}; {fraction_zero:.1%} of activations are exactly 0; "
      f"{dead_units} dead units")''',
    ),
    StudentAnswer(
        name="ae2-sparse-dead-any",
        assignment="ae2_sparse",
        cell="train-sparse",
        correct=False,
        what="dead_units counts units that are 0 on ANY image instead of on every image",
        source=r'''device = aeutils.device()
aeutils.seed_everything(0)
weight = 0.005
model = models.SparseAutoencoder(64, 128, sparsity="none")


def sparse_loss(model, xb):
    """Reconstruction error plus weight times your L1 penalty on the code."""
    h, x_hat = model(xb)
    return F.mse_loss(x_hat, xb) + weight * l1_penalty(h)


history = train.fit(model, x, epochs=20, batch_size=256, lr=1e-2, loss_fn=sparse_loss,
                    device=device, quiet=True)
codes = train.encode(model, x)  # (1797, 128), on the CPU

fraction_zero = (codes == 0).float().mean().item()
dead_units = int((codes == 0).any(dim=0).sum())
print(f"final loss {history.final:.4f}; {fraction_zero:.1%} of activations are exactly 0; "
      f"{dead_units} dead units")''',
    ),
    StudentAnswer(
        name="ae2-sparse-zeros-per-image",
        assignment="ae2_sparse",
        cell="train-sparse",
        correct=False,
        what="fraction_zero is the number of zeros per image (a count, not a fraction)",
        source=r'''device = aeutils.device()
aeutils.seed_everything(0)
weight = 0.005
model = models.SparseAutoencoder(64, 128, sparsity="none")


def sparse_loss(model, xb):
    """Reconstruction error plus weight times your L1 penalty on the code."""
    h, x_hat = model(xb)
    return F.mse_loss(x_hat, xb) + weight * l1_penalty(h)


history = train.fit(model, x, epochs=20, batch_size=256, lr=1e-2, loss_fn=sparse_loss,
                    device=device, quiet=True)
codes = train.encode(model, x)  # (1797, 128), on the CPU

fraction_zero = (codes == 0).sum(dim=1).float().mean().item()
dead_units = int((codes == 0).all(dim=0).sum())
print(f"final loss {history.final:.4f}; {fraction_zero:.1%} of activations are exactly 0; "
      f"{dead_units} dead units")''',
    ),
    StudentAnswer(
        name="ae2-sparse-minus-penalty",
        assignment="ae2_sparse",
        cell="train-sparse",
        correct=False,
        what="sign error: subtracts the penalty, rewarding large activations",
        source=r'''device = aeutils.device()
aeutils.seed_everything(0)
weight = 0.005
model = models.SparseAutoencoder(64, 128, sparsity="none")


def sparse_loss(model, xb):
    """Reconstruction error plus weight times your L1 penalty on the code."""
    h, x_hat = model(xb)
    return F.mse_loss(x_hat, xb) - weight * l1_penalty(h)


history = train.fit(model, x, epochs=20, batch_size=256, lr=1e-2, loss_fn=sparse_loss,
                    device=device, quiet=True)
codes = train.encode(model, x)  # (1797, 128), on the CPU

stats = metrics.sparsity_stats(codes)
fraction_zero = stats.fraction_zero
dead_units = stats.dead_units
print(f"final loss {history.final:.4f}; {fraction_zero:.1%} of activations are exactly 0; "
      f"{dead_units} dead units")''',
    ),
    StudentAnswer(
        name="ae2-sparse-penalty-on-output",
        assignment="ae2_sparse",
        cell="train-sparse",
        correct=False,
        what="penalizes the reconstruction x_hat instead of the code h",
        source=r'''device = aeutils.device()
aeutils.seed_everything(0)
weight = 0.005
model = models.SparseAutoencoder(64, 128, sparsity="none")


def sparse_loss(model, xb):
    """Reconstruction error plus weight times your L1 penalty on the code."""
    h, x_hat = model(xb)
    return F.mse_loss(x_hat, xb) + weight * l1_penalty(x_hat)


history = train.fit(model, x, epochs=20, batch_size=256, lr=1e-2, loss_fn=sparse_loss,
                    device=device, quiet=True)
codes = train.encode(model, x)  # (1797, 128), on the CPU

stats = metrics.sparsity_stats(codes)
fraction_zero = stats.fraction_zero
dead_units = stats.dead_units
print(f"final loss {history.final:.4f}; {fraction_zero:.1%} of activations are exactly 0; "
      f"{dead_units} dead units")''',
    ),
    StudentAnswer(
        name="ae2-sparse-library-l1",
        assignment="ae2_sparse",
        cell="train-sparse",
        correct=False,
        what="uses aeutils.losses.l1_sparsity instead of the student's own l1_penalty",
        source=r'''device = aeutils.device()
aeutils.seed_everything(0)
weight = 0.005
model = models.SparseAutoencoder(64, 128, sparsity="none")


def sparse_loss(model, xb):
    """Reconstruction error plus weight times your L1 penalty on the code."""
    h, x_hat = model(xb)
    return F.mse_loss(x_hat, xb) + weight * aeutils.losses.l1_sparsity(h)


history = train.fit(model, x, epochs=20, batch_size=256, lr=1e-2, loss_fn=sparse_loss,
                    device=device, quiet=True)
codes = train.encode(model, x)  # (1797, 128), on the CPU

stats = metrics.sparsity_stats(codes)
fraction_zero = stats.fraction_zero
dead_units = stats.dead_units
print(f"final loss {history.final:.4f}; {fraction_zero:.1%} of activations are exactly 0; "
      f"{dead_units} dead units")''',
    ),
    StudentAnswer(
        name="ae2-sparse-model-loss",
        assignment="ae2_sparse",
        cell="train-sparse",
        correct=False,
        what="returns model.loss(xb): with sparsity='none' that is the MSE alone, no penalty",
        source=r'''device = aeutils.device()
aeutils.seed_everything(0)
weight = 0.005
model = models.SparseAutoencoder(64, 128, sparsity="none")


def sparse_loss(model, xb):
    """Reconstruction error plus weight times your L1 penalty on the code."""
    return model.loss(xb)


history = train.fit(model, x, epochs=20, batch_size=256, lr=1e-2, loss_fn=sparse_loss,
                    device=device, quiet=True)
codes = train.encode(model, x)  # (1797, 128), on the CPU

stats = metrics.sparsity_stats(codes)
fraction_zero = stats.fraction_zero
dead_units = stats.dead_units
print(f"final loss {history.final:.4f}; {fraction_zero:.1%} of activations are exactly 0; "
      f"{dead_units} dead units")''',
    ),
    StudentAnswer(
        name="ae2-sparse-near-zero",
        assignment="ae2_sparse",
        cell="train-sparse",
        correct=False,
        what="counts activations below 1e-3 as zero (not exactly 0)",
        source=r'''device = aeutils.device()
aeutils.seed_everything(0)
weight = 0.005
model = models.SparseAutoencoder(64, 128, sparsity="none")


def sparse_loss(model, xb):
    """Reconstruction error plus weight times your L1 penalty on the code."""
    h, x_hat = model(xb)
    return F.mse_loss(x_hat, xb) + weight * l1_penalty(h)


history = train.fit(model, x, epochs=20, batch_size=256, lr=1e-2, loss_fn=sparse_loss,
                    device=device, quiet=True)
codes = train.encode(model, x)  # (1797, 128), on the CPU

small = codes.abs() < 1e-3
fraction_zero = small.float().mean().item()
dead_units = int(small.all(dim=0).sum())
print(f"final loss {history.final:.4f}; {fraction_zero:.1%} of activations are exactly 0; "
      f"{dead_units} dead units")''',
    ),
    StudentAnswer(
        name="ae2-sparse-sum-mse",
        assignment="ae2_sparse",
        cell="train-sparse",
        correct=False,
        what="sum-reduced squared error: the penalty's weight becomes negligible",
        source=r'''device = aeutils.device()
aeutils.seed_everything(0)
weight = 0.005
model = models.SparseAutoencoder(64, 128, sparsity="none")


def sparse_loss(model, xb):
    """Reconstruction error plus weight times your L1 penalty on the code."""
    h, x_hat = model(xb)
    return F.mse_loss(x_hat, xb, reduction="sum") + weight * l1_penalty(h)


history = train.fit(model, x, epochs=20, batch_size=256, lr=1e-2, loss_fn=sparse_loss,
                    device=device, quiet=True)
codes = train.encode(model, x)  # (1797, 128), on the CPU

stats = metrics.sparsity_stats(codes)
fraction_zero = stats.fraction_zero
dead_units = stats.dead_units
print(f"final loss {history.final:.4f}; {fraction_zero:.1%} of activations are exactly 0; "
      f"{dead_units} dead units")''',
    ),
    # Part 6a: sae-model
    StudentAnswer(
        name="ae2-sae-plain",
        assignment="ae2_sparse",
        cell="sae-model",
        correct=True,
        what="column norms clamped at 1e-8; ReLU then topk_activation; F.linear with the dictionary",
        source=r'''class PatchSAE(nn.Module):
    """Top-k sparse autoencoder: x (batch, input_size) -> h (batch, code_size), k non-zeros per row."""

    def __init__(self, input_size=64, code_size=512, k=4):
        super().__init__()
        self.encoder = nn.Linear(input_size, code_size)
        self.decoder = nn.Linear(code_size, input_size)
        self.k = k

    def dictionary(self):
        """The atoms: decoder columns scaled to norm 1, (input_size, code_size)."""
        w = self.decoder.weight  # (input_size, code_size)
        return w / w.norm(dim=0, keepdim=True).clamp_min(1e-8)

    def encode(self, x):
        """x: (batch, input_size) -> h: (batch, code_size), each row with at most k non-zeros."""
        return topk_activation(F.relu(self.encoder(x)), self.k)

    def decode(self, h):
        """h: (batch, code_size) -> x_hat: (batch, input_size)."""
        return F.linear(h, self.dictionary(), self.decoder.bias)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)''',
    ),
    StudentAnswer(
        name="ae2-sae-normalize",
        assignment="ae2_sparse",
        cell="sae-model",
        correct=True,
        what="F.normalize(dim=0, eps=1e-8) for the atoms; torch.relu; h @ D.T + bias",
        source=r'''class PatchSAE(nn.Module):
    """Top-k sparse autoencoder: x (batch, input_size) -> h (batch, code_size), k non-zeros per row."""

    def __init__(self, input_size=64, code_size=512, k=4):
        super().__init__()
        self.encoder = nn.Linear(input_size, code_size)
        self.decoder = nn.Linear(code_size, input_size)
        self.k = k

    def dictionary(self):
        """The atoms: decoder columns scaled to norm 1, (input_size, code_size)."""
        return F.normalize(self.decoder.weight, p=2, dim=0, eps=1e-8)

    def encode(self, x):
        """x: (batch, input_size) -> h: (batch, code_size), each row with at most k non-zeros."""
        pre = self.encoder(x)
        return topk_activation(torch.relu(pre), k=self.k)

    def decode(self, h):
        """h: (batch, code_size) -> x_hat: (batch, input_size)."""
        return h @ self.dictionary().T + self.decoder.bias

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)''',
    ),
    StudentAnswer(
        name="ae2-sae-vector-norm",
        assignment="ae2_sparse",
        cell="sae-model",
        correct=True,
        what="k stored first, decoder built before the encoder; vector_norm clamp(min=); forward via decode(encode(x))",
        source=r'''class PatchSAE(nn.Module):
    """Top-k sparse autoencoder: x (batch, input_size) -> h (batch, code_size), k non-zeros per row."""

    def __init__(self, input_size=64, code_size=512, k=4):
        super().__init__()
        self.k = k
        self.decoder = nn.Linear(code_size, input_size)
        self.encoder = nn.Linear(input_size, code_size)

    def dictionary(self):
        """The atoms: decoder columns scaled to norm 1, (input_size, code_size)."""
        norms = torch.linalg.vector_norm(self.decoder.weight, dim=0, keepdim=True)
        return self.decoder.weight / norms.clamp(min=1e-8)

    def encode(self, x):
        """x: (batch, input_size) -> h: (batch, code_size), each row with at most k non-zeros."""
        h = F.relu(self.encoder(x))
        h = topk_activation(h, self.k)
        return h

    def decode(self, h):
        """h: (batch, code_size) -> x_hat: (batch, input_size)."""
        return F.linear(h, self.dictionary(), self.decoder.bias)

    def forward(self, x):
        code = self.encode(x)
        x_hat = self.decode(code)
        return code, x_hat''',
    ),
    StudentAnswer(
        name="ae2-sae-row-norm",
        assignment="ae2_sparse",
        cell="sae-model",
        correct=False,
        what="normalizes the rows of the decoder weight (dim=1) instead of its columns",
        source=r'''class PatchSAE(nn.Module):
    """Top-k sparse autoencoder: x (batch, input_size) -> h (batch, code_size), k non-zeros per row."""

    def __init__(self, input_size=64, code_size=512, k=4):
        super().__init__()
        self.encoder = nn.Linear(input_size, code_size)
        self.decoder = nn.Linear(code_size, input_size)
        self.k = k

    def dictionary(self):
        """The atoms: decoder columns scaled to norm 1, (input_size, code_size)."""
        w = self.decoder.weight
        return w / w.norm(dim=1, keepdim=True).clamp_min(1e-8)

    def encode(self, x):
        """x: (batch, input_size) -> h: (batch, code_size), each row with at most k non-zeros."""
        return topk_activation(F.relu(self.encoder(x)), self.k)

    def decode(self, h):
        """h: (batch, code_size) -> x_hat: (batch, input_size)."""
        return F.linear(h, self.dictionary(), self.decoder.bias)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)''',
    ),
    StudentAnswer(
        name="ae2-sae-no-relu",
        assignment="ae2_sparse",
        cell="sae-model",
        correct=False,
        what="missing nonlinearity: top-k of the raw encoder output, no ReLU (negative codes survive)",
        source=r'''class PatchSAE(nn.Module):
    """Top-k sparse autoencoder: x (batch, input_size) -> h (batch, code_size), k non-zeros per row."""

    def __init__(self, input_size=64, code_size=512, k=4):
        super().__init__()
        self.encoder = nn.Linear(input_size, code_size)
        self.decoder = nn.Linear(code_size, input_size)
        self.k = k

    def dictionary(self):
        """The atoms: decoder columns scaled to norm 1, (input_size, code_size)."""
        w = self.decoder.weight  # (input_size, code_size)
        return w / w.norm(dim=0, keepdim=True).clamp_min(1e-8)

    def encode(self, x):
        """x: (batch, input_size) -> h: (batch, code_size), each row with at most k non-zeros."""
        return topk_activation(self.encoder(x), self.k)

    def decode(self, h):
        """h: (batch, code_size) -> x_hat: (batch, input_size)."""
        return F.linear(h, self.dictionary(), self.decoder.bias)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)''',
    ),
    StudentAnswer(
        name="ae2-sae-raw-decoder",
        assignment="ae2_sparse",
        cell="sae-model",
        correct=False,
        what="decode uses self.decoder(h): the unnormalized weights, not the unit-norm atoms",
        source=r'''class PatchSAE(nn.Module):
    """Top-k sparse autoencoder: x (batch, input_size) -> h (batch, code_size), k non-zeros per row."""

    def __init__(self, input_size=64, code_size=512, k=4):
        super().__init__()
        self.encoder = nn.Linear(input_size, code_size)
        self.decoder = nn.Linear(code_size, input_size)
        self.k = k

    def dictionary(self):
        """The atoms: decoder columns scaled to norm 1, (input_size, code_size)."""
        w = self.decoder.weight  # (input_size, code_size)
        return w / w.norm(dim=0, keepdim=True).clamp_min(1e-8)

    def encode(self, x):
        """x: (batch, input_size) -> h: (batch, code_size), each row with at most k non-zeros."""
        return topk_activation(F.relu(self.encoder(x)), self.k)

    def decode(self, h):
        """h: (batch, code_size) -> x_hat: (batch, input_size)."""
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)''',
    ),
    StudentAnswer(
        name="ae2-sae-no-clamp",
        assignment="ae2_sparse",
        cell="sae-model",
        correct=False,
        what="divides by the column norms without the clamp: a zero column gives NaN",
        source=r'''class PatchSAE(nn.Module):
    """Top-k sparse autoencoder: x (batch, input_size) -> h (batch, code_size), k non-zeros per row."""

    def __init__(self, input_size=64, code_size=512, k=4):
        super().__init__()
        self.encoder = nn.Linear(input_size, code_size)
        self.decoder = nn.Linear(code_size, input_size)
        self.k = k

    def dictionary(self):
        """The atoms: decoder columns scaled to norm 1, (input_size, code_size)."""
        w = self.decoder.weight
        return w / w.norm(dim=0, keepdim=True)

    def encode(self, x):
        """x: (batch, input_size) -> h: (batch, code_size), each row with at most k non-zeros."""
        return topk_activation(F.relu(self.encoder(x)), self.k)

    def decode(self, h):
        """h: (batch, code_size) -> x_hat: (batch, input_size)."""
        return F.linear(h, self.dictionary(), self.decoder.bias)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)''',
    ),
    StudentAnswer(
        name="ae2-sae-fixed-k",
        assignment="ae2_sparse",
        cell="sae-model",
        correct=False,
        what="encode keeps a hard-coded 4 units instead of self.k",
        source=r'''class PatchSAE(nn.Module):
    """Top-k sparse autoencoder: x (batch, input_size) -> h (batch, code_size), k non-zeros per row."""

    def __init__(self, input_size=64, code_size=512, k=4):
        super().__init__()
        self.encoder = nn.Linear(input_size, code_size)
        self.decoder = nn.Linear(code_size, input_size)
        self.k = k

    def dictionary(self):
        """The atoms: decoder columns scaled to norm 1, (input_size, code_size)."""
        w = self.decoder.weight  # (input_size, code_size)
        return w / w.norm(dim=0, keepdim=True).clamp_min(1e-8)

    def encode(self, x):
        """x: (batch, input_size) -> h: (batch, code_size), each row with at most k non-zeros."""
        return topk_activation(F.relu(self.encoder(x)), 4)

    def decode(self, h):
        """h: (batch, code_size) -> x_hat: (batch, input_size)."""
        return F.linear(h, self.dictionary(), self.decoder.bias)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)''',
    ),
    StudentAnswer(
        name="ae2-sae-library-topk",
        assignment="ae2_sparse",
        cell="sae-model",
        correct=False,
        what="encode calls aeutils.losses.topk instead of the student's Part 4 topk_activation",
        source=r'''class PatchSAE(nn.Module):
    """Top-k sparse autoencoder: x (batch, input_size) -> h (batch, code_size), k non-zeros per row."""

    def __init__(self, input_size=64, code_size=512, k=4):
        super().__init__()
        self.encoder = nn.Linear(input_size, code_size)
        self.decoder = nn.Linear(code_size, input_size)
        self.k = k

    def dictionary(self):
        """The atoms: decoder columns scaled to norm 1, (input_size, code_size)."""
        w = self.decoder.weight  # (input_size, code_size)
        return w / w.norm(dim=0, keepdim=True).clamp_min(1e-8)

    def encode(self, x):
        """x: (batch, input_size) -> h: (batch, code_size), each row with at most k non-zeros."""
        return aeutils.losses.topk(F.relu(self.encoder(x)), self.k)

    def decode(self, h):
        """h: (batch, code_size) -> x_hat: (batch, input_size)."""
        return F.linear(h, self.dictionary(), self.decoder.bias)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)''',
    ),
    # Part 6b: dead-units
    StudentAnswer(
        name="ae2-dead-plain",
        assignment="ae2_sparse",
        cell="dead-units",
        correct=True,
        what="all-zero columns of the codes; argsort of the row errors, worst first; masks and nonzero",
        source=r'''def dead_units(model, x):
    """model: PatchSAE, x: (n, input_size) -> (code_size,) bool on x.device: True = never active on x."""
    with torch.no_grad():
        h = model.encode(x)
    return (h == 0).all(dim=0)


def resample_dead_units(model, x, dead):
    """Point each dead unit at one of the worst-reconstructed rows of x; return how many were resampled."""
    with torch.no_grad():
        _, x_hat = model(x)
        errors = ((x - x_hat) ** 2).sum(dim=1)  # (n,)
        worst = torch.argsort(errors, descending=True)
        dead_idx = dead.nonzero().flatten()
        m = min(len(dead_idx), len(x))
        dead_idx, rows = dead_idx[:m], worst[:m]
        r = x[rows] - x_hat[rows]
        r = r / r.norm(dim=1, keepdim=True).clamp_min(1e-8)
        alive = ~dead
        if alive.any():
            s = model.encoder.weight[alive].norm(dim=1).mean()
        else:
            s = 1.0
        model.decoder.weight[:, dead_idx] = r.T
        model.encoder.weight[dead_idx] = s * r
        model.encoder.bias[dead_idx] = 0.0
    return int(m)''',
    ),
    StudentAnswer(
        name="ae2-dead-topk-rows",
        assignment="ae2_sparse",
        cell="dead-units",
        correct=True,
        what="@torch.no_grad decorators; never-active = not any(h != 0); worst rows by torch.topk; s from torch.where",
        source=r'''@torch.no_grad()
def dead_units(model, x):
    """model: PatchSAE, x: (n, input_size) -> (code_size,) bool on x.device: True = never active on x."""
    active = model.encode(x) != 0
    return ~active.any(dim=0)


@torch.no_grad()
def resample_dead_units(model, x, dead):
    """Point each dead unit at one of the worst-reconstructed rows of x; return how many were resampled."""
    x_hat = model(x)[1]
    err = (x - x_hat).pow(2).sum(1)
    units = torch.nonzero(dead).squeeze(1)  # increasing unit index
    count = min(units.numel(), x.shape[0])
    units = units[:count]
    worst_rows = torch.topk(err, count).indices  # worst first
    residual = x[worst_rows] - x_hat[worst_rows]
    residual = residual / torch.linalg.vector_norm(residual, dim=1, keepdim=True).clamp(min=1e-8)
    norms = model.encoder.weight.norm(dim=1)
    n_alive = int((~dead).sum())
    s = norms[~dead].mean() if n_alive > 0 else torch.ones((), device=x.device)
    model.decoder.weight[:, units] = residual.T
    model.encoder.weight[units] = s * residual
    model.encoder.bias[units] = 0
    return count''',
    ),
    StudentAnswer(
        name="ae2-dead-abs-sum",
        assignment="ae2_sparse",
        cell="dead-units",
        correct=True,
        what="dead where the column sum of |h| is 0; sort(descending=True); index_copy_ for the new rows",
        source=r'''def dead_units(model, x):
    """model: PatchSAE, x: (n, input_size) -> (code_size,) bool on x.device: True = never active on x."""
    with torch.no_grad():
        codes = model.encode(x)
        return codes.abs().sum(dim=0) == 0


def resample_dead_units(model, x, dead):
    """Point each dead unit at one of the worst-reconstructed rows of x; return how many were resampled."""
    with torch.no_grad():
        reconstruction = model(x)[1]
        row_error = ((x - reconstruction) ** 2).sum(dim=1)
        order = row_error.sort(descending=True).indices
        which = dead.nonzero(as_tuple=True)[0]
        n_new = min(which.shape[0], x.shape[0])
        which, order = which[:n_new], order[:n_new]
        residual = x[order] - reconstruction[order]
        residual = residual / residual.norm(dim=1, keepdim=True).clamp_min(1e-8)
        enc_norms = model.encoder.weight.norm(dim=1)
        s = enc_norms[~dead].mean() if bool((~dead).any()) else 1.0
        model.encoder.weight.index_copy_(0, which, s * residual)
        model.encoder.bias.index_fill_(0, which, 0.0)
        model.decoder.weight.index_copy_(1, which, residual.T.contiguous())
    return n_new''',
    ),
    StudentAnswer(
        name="ae2-dead-any-zero",
        assignment="ae2_sparse",
        cell="dead-units",
        correct=False,
        what="dead_units marks units that are 0 on ANY row instead of on all rows",
        source=r'''def dead_units(model, x):
    """model: PatchSAE, x: (n, input_size) -> (code_size,) bool on x.device: True = never active on x."""
    with torch.no_grad():
        h = model.encode(x)
    return (h == 0).any(dim=0)


def resample_dead_units(model, x, dead):
    """Point each dead unit at one of the worst-reconstructed rows of x; return how many were resampled."""
    with torch.no_grad():
        _, x_hat = model(x)
        errors = ((x - x_hat) ** 2).sum(dim=1)  # (n,)
        worst = torch.argsort(errors, descending=True)
        dead_idx = dead.nonzero().flatten()
        m = min(len(dead_idx), len(x))
        dead_idx, rows = dead_idx[:m], worst[:m]
        r = x[rows] - x_hat[rows]
        r = r / r.norm(dim=1, keepdim=True).clamp_min(1e-8)
        alive = ~dead
        if alive.any():
            s = model.encoder.weight[alive].norm(dim=1).mean()
        else:
            s = 1.0
        model.decoder.weight[:, dead_idx] = r.T
        model.encoder.weight[dead_idx] = s * r
        model.encoder.bias[dead_idx] = 0.0
    return int(m)''',
    ),
    StudentAnswer(
        name="ae2-dead-best-rows",
        assignment="ae2_sparse",
        cell="dead-units",
        correct=False,
        what="ranks rows best first (ascending error): dead units point at what is already reconstructed well",
        source=r'''def dead_units(model, x):
    """model: PatchSAE, x: (n, input_size) -> (code_size,) bool on x.device: True = never active on x."""
    with torch.no_grad():
        h = model.encode(x)
    return (h == 0).all(dim=0)


def resample_dead_units(model, x, dead):
    """Point each dead unit at one of the worst-reconstructed rows of x; return how many were resampled."""
    with torch.no_grad():
        _, x_hat = model(x)
        errors = ((x - x_hat) ** 2).sum(dim=1)  # (n,)
        worst = torch.argsort(errors)
        dead_idx = dead.nonzero().flatten()
        m = min(len(dead_idx), len(x))
        dead_idx, rows = dead_idx[:m], worst[:m]
        r = x[rows] - x_hat[rows]
        r = r / r.norm(dim=1, keepdim=True).clamp_min(1e-8)
        alive = ~dead
        if alive.any():
            s = model.encoder.weight[alive].norm(dim=1).mean()
        else:
            s = 1.0
        model.decoder.weight[:, dead_idx] = r.T
        model.encoder.weight[dead_idx] = s * r
        model.encoder.bias[dead_idx] = 0.0
    return int(m)''',
    ),
    StudentAnswer(
        name="ae2-dead-unnormalized-residual",
        assignment="ae2_sparse",
        cell="dead-units",
        correct=False,
        what="uses the raw residual x - x_hat without dividing by its norm",
        source=r'''def dead_units(model, x):
    """model: PatchSAE, x: (n, input_size) -> (code_size,) bool on x.device: True = never active on x."""
    with torch.no_grad():
        h = model.encode(x)
    return (h == 0).all(dim=0)


def resample_dead_units(model, x, dead):
    """Point each dead unit at one of the worst-reconstructed rows of x; return how many were resampled."""
    with torch.no_grad():
        _, x_hat = model(x)
        errors = ((x - x_hat) ** 2).sum(dim=1)  # (n,)
        worst = torch.argsort(errors, descending=True)
        dead_idx = dead.nonzero().flatten()
        m = min(len(dead_idx), len(x))
        dead_idx, rows = dead_idx[:m], worst[:m]
        r = x[rows] - x_hat[rows]
        alive = ~dead
        if alive.any():
            s = model.encoder.weight[alive].norm(dim=1).mean()
        else:
            s = 1.0
        model.decoder.weight[:, dead_idx] = r.T
        model.encoder.weight[dead_idx] = s * r
        model.encoder.bias[dead_idx] = 0.0
    return int(m)''',
    ),
    StudentAnswer(
        name="ae2-dead-s-all-units",
        assignment="ae2_sparse",
        cell="dead-units",
        correct=False,
        what="s is the mean encoder-row norm over ALL units, dead ones included",
        source=r'''def dead_units(model, x):
    """model: PatchSAE, x: (n, input_size) -> (code_size,) bool on x.device: True = never active on x."""
    with torch.no_grad():
        h = model.encode(x)
    return (h == 0).all(dim=0)


def resample_dead_units(model, x, dead):
    """Point each dead unit at one of the worst-reconstructed rows of x; return how many were resampled."""
    with torch.no_grad():
        _, x_hat = model(x)
        errors = ((x - x_hat) ** 2).sum(dim=1)  # (n,)
        worst = torch.argsort(errors, descending=True)
        dead_idx = dead.nonzero().flatten()
        m = min(len(dead_idx), len(x))
        dead_idx, rows = dead_idx[:m], worst[:m]
        r = x[rows] - x_hat[rows]
        r = r / r.norm(dim=1, keepdim=True).clamp_min(1e-8)
        s = model.encoder.weight.norm(dim=1).mean()
        model.decoder.weight[:, dead_idx] = r.T
        model.encoder.weight[dead_idx] = s * r
        model.encoder.bias[dead_idx] = 0.0
    return int(m)''',
    ),
    StudentAnswer(
        name="ae2-dead-tensor-count",
        assignment="ae2_sparse",
        cell="dead-units",
        correct=False,
        what="returns the count as a tensor (dead.sum()) instead of a Python int",
        source=r'''def dead_units(model, x):
    """model: PatchSAE, x: (n, input_size) -> (code_size,) bool on x.device: True = never active on x."""
    with torch.no_grad():
        h = model.encode(x)
    return (h == 0).all(dim=0)


def resample_dead_units(model, x, dead):
    """Point each dead unit at one of the worst-reconstructed rows of x; return how many were resampled."""
    with torch.no_grad():
        _, x_hat = model(x)
        errors = ((x - x_hat) ** 2).sum(dim=1)  # (n,)
        worst = torch.argsort(errors, descending=True)
        dead_idx = dead.nonzero().flatten()
        m = min(len(dead_idx), len(x))
        dead_idx, rows = dead_idx[:m], worst[:m]
        r = x[rows] - x_hat[rows]
        r = r / r.norm(dim=1, keepdim=True).clamp_min(1e-8)
        alive = ~dead
        if alive.any():
            s = model.encoder.weight[alive].norm(dim=1).mean()
        else:
            s = 1.0
        model.decoder.weight[:, dead_idx] = r.T
        model.encoder.weight[dead_idx] = s * r
        model.encoder.bias[dead_idx] = 0.0
    return dead.sum()''',
    ),
    StudentAnswer(
        name="ae2-dead-bias-kept",
        assignment="ae2_sparse",
        cell="dead-units",
        correct=False,
        what="forgets to reset the encoder bias of resampled units to 0",
        source=r'''def dead_units(model, x):
    """model: PatchSAE, x: (n, input_size) -> (code_size,) bool on x.device: True = never active on x."""
    with torch.no_grad():
        h = model.encode(x)
    return (h == 0).all(dim=0)


def resample_dead_units(model, x, dead):
    """Point each dead unit at one of the worst-reconstructed rows of x; return how many were resampled."""
    with torch.no_grad():
        _, x_hat = model(x)
        errors = ((x - x_hat) ** 2).sum(dim=1)  # (n,)
        worst = torch.argsort(errors, descending=True)
        dead_idx = dead.nonzero().flatten()
        m = min(len(dead_idx), len(x))
        dead_idx, rows = dead_idx[:m], worst[:m]
        r = x[rows] - x_hat[rows]
        r = r / r.norm(dim=1, keepdim=True).clamp_min(1e-8)
        alive = ~dead
        if alive.any():
            s = model.encoder.weight[alive].norm(dim=1).mean()
        else:
            s = 1.0
        model.decoder.weight[:, dead_idx] = r.T
        model.encoder.weight[dead_idx] = s * r
    return int(m)''',
    ),
    StudentAnswer(
        name="ae2-dead-decoder-only",
        assignment="ae2_sparse",
        cell="dead-units",
        correct=False,
        what="changes only the decoder column; the encoder row (and bias) stay as they were",
        source=r'''def dead_units(model, x):
    """model: PatchSAE, x: (n, input_size) -> (code_size,) bool on x.device: True = never active on x."""
    with torch.no_grad():
        h = model.encode(x)
    return (h == 0).all(dim=0)


def resample_dead_units(model, x, dead):
    """Point each dead unit at one of the worst-reconstructed rows of x; return how many were resampled."""
    with torch.no_grad():
        _, x_hat = model(x)
        errors = ((x - x_hat) ** 2).sum(dim=1)  # (n,)
        worst = torch.argsort(errors, descending=True)
        dead_idx = dead.nonzero().flatten()
        m = min(len(dead_idx), len(x))
        dead_idx, rows = dead_idx[:m], worst[:m]
        r = x[rows] - x_hat[rows]
        r = r / r.norm(dim=1, keepdim=True).clamp_min(1e-8)
        alive = ~dead
        if alive.any():
            s = model.encoder.weight[alive].norm(dim=1).mean()
        else:
            s = 1.0
        model.decoder.weight[:, dead_idx] = r.T
    return int(m)''',
    ),
    StudentAnswer(
        name="ae2-dead-assumes-enough-rows",
        assignment="ae2_sparse",
        cell="dead-units",
        correct=False,
        what="takes as many worst rows as there are dead units: fails when there are more dead units than rows",
        source=r'''def dead_units(model, x):
    """model: PatchSAE, x: (n, input_size) -> (code_size,) bool on x.device: True = never active on x."""
    with torch.no_grad():
        h = model.encode(x)
    return (h == 0).all(dim=0)


def resample_dead_units(model, x, dead):
    """Point each dead unit at one of the worst-reconstructed rows of x; return how many were resampled."""
    with torch.no_grad():
        _, x_hat = model(x)
        errors = ((x - x_hat) ** 2).sum(dim=1)  # (n,)
        worst = torch.argsort(errors, descending=True)
        dead_idx = dead.nonzero().flatten()
        m = len(dead_idx)
        rows = worst[:m]
        r = x[rows] - x_hat[rows]
        r = r / r.norm(dim=1, keepdim=True).clamp_min(1e-8)
        alive = ~dead
        if alive.any():
            s = model.encoder.weight[alive].norm(dim=1).mean()
        else:
            s = 1.0
        model.decoder.weight[:, dead_idx] = r.T
        model.encoder.weight[dead_idx] = s * r
        model.encoder.bias[dead_idx] = 0.0
    return int(m)''',
    ),
    StudentAnswer(
        name="ae2-dead-python-loop-cpu",
        assignment="ae2_sparse",
        cell="dead-units",
        correct=False,
        what="dead_units loops over units in Python and builds the mask with torch.tensor(...) on the CPU",
        source=r'''def dead_units(model, x):
    """model: PatchSAE, x: (n, input_size) -> (code_size,) bool on x.device: True = never active on x."""
    with torch.no_grad():
        h = model.encode(x)
    return torch.tensor([bool((h[:, j] == 0).all()) for j in range(h.shape[1])])


def resample_dead_units(model, x, dead):
    """Point each dead unit at one of the worst-reconstructed rows of x; return how many were resampled."""
    with torch.no_grad():
        _, x_hat = model(x)
        errors = ((x - x_hat) ** 2).sum(dim=1)  # (n,)
        worst = torch.argsort(errors, descending=True)
        dead_idx = dead.nonzero().flatten()
        m = min(len(dead_idx), len(x))
        dead_idx, rows = dead_idx[:m], worst[:m]
        r = x[rows] - x_hat[rows]
        r = r / r.norm(dim=1, keepdim=True).clamp_min(1e-8)
        alive = ~dead
        if alive.any():
            s = model.encoder.weight[alive].norm(dim=1).mean()
        else:
            s = 1.0
        model.decoder.weight[:, dead_idx] = r.T
        model.encoder.weight[dead_idx] = s * r
        model.encoder.bias[dead_idx] = 0.0
    return int(m)''',
    ),
    # Part 6c: train-sae
    StudentAnswer(
        name="ae2-trainsae-plain",
        assignment="ae2_sparse",
        cell="train-sae",
        correct=True,
        what="permutation drawn where the generator lives; size-weighted epoch mean, one .item() per epoch; resample before the last epoch",
        source=r'''def train_sae(model, x, epochs=8, batch_size=256, lr=5e-3, resample=True, generator=None):
    """Adam on F.mse_loss over shuffled mini-batches of x: (n, input_size); returns per-epoch mean losses."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(x)
    losses = []
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, device=where, generator=generator).to(x.device)
        total = torch.zeros((), device=x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            _, x_hat = model(xb)
            loss = F.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(xb)
        losses.append(total.item() / n)
        if resample and epoch < epochs - 1:
            rows = x[:4096]
            resample_dead_units(model, rows, dead_units(model, rows))
    return losses


device = aeutils.device()
x_patches = patches_train.to(device)  # moved to the device once

aeutils.seed_everything(0)
no_fix = PatchSAE(64, 512, k=4).to(device)
train_sae(no_fix, x_patches, resample=False)

aeutils.seed_everything(0)
model = PatchSAE(64, 512, k=4).to(device)
history = train_sae(model, x_patches, generator=torch.Generator().manual_seed(0))

for name, m in (("without resampling", no_fix), ("with resampling", model)):
    with torch.no_grad():
        dead = float(dead_units(m, patches_test.to(device)).float().mean())
    localization = float(filters.energy_concentration(m.dictionary().T, top=8).mean())
    print(f"{name:19s}: {dead:5.1%} dead units on held-out patches, atoms keep "
          f"{localization:.2f} of their energy in 8 pixels (PCA {pca_localization:.2f})")''',
    ),
    StudentAnswer(
        name="ae2-trainsae-split",
        assignment="ae2_sparse",
        cell="train-sae",
        correct=True,
        what="perm.split(batch_size); size-weighted sum turned into a float once per epoch; called without a generator",
        source=r'''def train_sae(model, x, epochs=8, batch_size=256, lr=5e-3, resample=True, generator=None):
    """Adam on F.mse_loss over shuffled mini-batches of x: (n, input_size); returns per-epoch mean losses."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        if generator is None:
            order = torch.randperm(len(x), device=x.device)
        else:
            order = torch.randperm(len(x), generator=generator, device=generator.device).to(x.device)
        loss_sum = torch.zeros((), device=x.device)
        for idx in order.split(batch_size):
            batch = x[idx]
            loss = F.mse_loss(model(batch)[1], batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.detach() * len(idx)
        history.append(float(loss_sum) / len(x))  # mean per patch, one sync per epoch
        last_epoch = epoch == epochs - 1
        if resample and not last_epoch:
            first = x[:4096]
            dead = dead_units(model, first)
            resample_dead_units(model, first, dead)
    return history


device = aeutils.device()
x_patches = patches_train.to(device)  # moved to the device once

aeutils.seed_everything(0)
no_fix = PatchSAE(64, 512, k=4).to(device)
train_sae(no_fix, x_patches, resample=False)

aeutils.seed_everything(0)
model = PatchSAE(64, 512, k=4).to(device)
history = train_sae(model, x_patches)

for name, m in (("without resampling", no_fix), ("with resampling", model)):
    with torch.no_grad():
        dead = float(dead_units(m, patches_test.to(device)).float().mean())
    localization = float(filters.energy_concentration(m.dictionary().T, top=8).mean())
    print(f"{name:19s}: {dead:5.1%} dead units on held-out patches, atoms keep "
          f"{localization:.2f} of their energy in 8 pixels (PCA {pca_localization:.2f})")''',
    ),
    StudentAnswer(
        name="ae2-trainsae-resample-after-last",
        assignment="ae2_sparse",
        cell="train-sae",
        correct=False,
        what="resamples after every epoch, the last one included: fresh units are left untrained",
        source=r'''def train_sae(model, x, epochs=8, batch_size=256, lr=5e-3, resample=True, generator=None):
    """Adam on F.mse_loss over shuffled mini-batches of x: (n, input_size); returns per-epoch mean losses."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(x)
    losses = []
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, device=where, generator=generator).to(x.device)
        total = torch.zeros((), device=x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            _, x_hat = model(xb)
            loss = F.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(xb)
        losses.append(total.item() / n)
        if resample:
            rows = x[:4096]
            resample_dead_units(model, rows, dead_units(model, rows))
    return losses


device = aeutils.device()
x_patches = patches_train.to(device)  # moved to the device once

aeutils.seed_everything(0)
no_fix = PatchSAE(64, 512, k=4).to(device)
train_sae(no_fix, x_patches, resample=False)

aeutils.seed_everything(0)
model = PatchSAE(64, 512, k=4).to(device)
history = train_sae(model, x_patches, generator=torch.Generator().manual_seed(0))

for name, m in (("without resampling", no_fix), ("with resampling", model)):
    with torch.no_grad():
        dead = float(dead_units(m, patches_test.to(device)).float().mean())
    localization = float(filters.energy_concentration(m.dictionary().T, top=8).mean())
    print(f"{name:19s}: {dead:5.1%} dead units on held-out patches, atoms keep "
          f"{localization:.2f} of their energy in 8 pixels (PCA {pca_localization:.2f})")''',
    ),
    StudentAnswer(
        name="ae2-trainsae-item-per-batch",
        assignment="ae2_sparse",
        cell="train-sae",
        correct=False,
        what="adds loss.item() to a Python float every batch (a host sync per batch)",
        source=r'''def train_sae(model, x, epochs=8, batch_size=256, lr=5e-3, resample=True, generator=None):
    """Adam on F.mse_loss over shuffled mini-batches of x: (n, input_size); returns per-epoch mean losses."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(x)
    losses = []
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, device=where, generator=generator).to(x.device)
        total = 0.0
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            _, x_hat = model(xb)
            loss = F.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        losses.append(total / n)
        if resample and epoch < epochs - 1:
            rows = x[:4096]
            resample_dead_units(model, rows, dead_units(model, rows))
    return losses


device = aeutils.device()
x_patches = patches_train.to(device)  # moved to the device once

aeutils.seed_everything(0)
no_fix = PatchSAE(64, 512, k=4).to(device)
train_sae(no_fix, x_patches, resample=False)

aeutils.seed_everything(0)
model = PatchSAE(64, 512, k=4).to(device)
history = train_sae(model, x_patches, generator=torch.Generator().manual_seed(0))

for name, m in (("without resampling", no_fix), ("with resampling", model)):
    with torch.no_grad():
        dead = float(dead_units(m, patches_test.to(device)).float().mean())
    localization = float(filters.energy_concentration(m.dictionary().T, top=8).mean())
    print(f"{name:19s}: {dead:5.1%} dead units on held-out patches, atoms keep "
          f"{localization:.2f} of their energy in 8 pixels (PCA {pca_localization:.2f})")''',
    ),
    StudentAnswer(
        name="ae2-trainsae-global-rng",
        assignment="ae2_sparse",
        cell="train-sae",
        correct=False,
        what="ignores the generator: torch.randperm(n, device=x.device) from the global RNG",
        source=r'''def train_sae(model, x, epochs=8, batch_size=256, lr=5e-3, resample=True, generator=None):
    """Adam on F.mse_loss over shuffled mini-batches of x: (n, input_size); returns per-epoch mean losses."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(x)
    losses = []
    for epoch in range(epochs):
        perm = torch.randperm(n, device=x.device)
        total = torch.zeros((), device=x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            _, x_hat = model(xb)
            loss = F.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(xb)
        losses.append(total.item() / n)
        if resample and epoch < epochs - 1:
            rows = x[:4096]
            resample_dead_units(model, rows, dead_units(model, rows))
    return losses


device = aeutils.device()
x_patches = patches_train.to(device)  # moved to the device once

aeutils.seed_everything(0)
no_fix = PatchSAE(64, 512, k=4).to(device)
train_sae(no_fix, x_patches, resample=False)

aeutils.seed_everything(0)
model = PatchSAE(64, 512, k=4).to(device)
history = train_sae(model, x_patches, generator=torch.Generator().manual_seed(0))

for name, m in (("without resampling", no_fix), ("with resampling", model)):
    with torch.no_grad():
        dead = float(dead_units(m, patches_test.to(device)).float().mean())
    localization = float(filters.energy_concentration(m.dictionary().T, top=8).mean())
    print(f"{name:19s}: {dead:5.1%} dead units on held-out patches, atoms keep "
          f"{localization:.2f} of their energy in 8 pixels (PCA {pca_localization:.2f})")''',
    ),
    StudentAnswer(
        name="ae2-trainsae-cpu-generator-on-device",
        assignment="ae2_sparse",
        cell="train-sae",
        correct=False,
        what="draws with device=x.device and the (CPU) generator, as the text's one-liner: raises on CUDA",
        source=r'''def train_sae(model, x, epochs=8, batch_size=256, lr=5e-3, resample=True, generator=None):
    """Adam on F.mse_loss over shuffled mini-batches of x: (n, input_size); returns per-epoch mean losses."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(x)
    losses = []
    for epoch in range(epochs):
        perm = torch.randperm(len(x), device=x.device, generator=generator)
        total = torch.zeros((), device=x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            _, x_hat = model(xb)
            loss = F.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(xb)
        losses.append(total.item() / n)
        if resample and epoch < epochs - 1:
            rows = x[:4096]
            resample_dead_units(model, rows, dead_units(model, rows))
    return losses


device = aeutils.device()
x_patches = patches_train.to(device)  # moved to the device once

aeutils.seed_everything(0)
no_fix = PatchSAE(64, 512, k=4).to(device)
train_sae(no_fix, x_patches, resample=False)

aeutils.seed_everything(0)
model = PatchSAE(64, 512, k=4).to(device)
history = train_sae(model, x_patches, generator=torch.Generator().manual_seed(0))

for name, m in (("without resampling", no_fix), ("with resampling", model)):
    with torch.no_grad():
        dead = float(dead_units(m, patches_test.to(device)).float().mean())
    localization = float(filters.energy_concentration(m.dictionary().T, top=8).mean())
    print(f"{name:19s}: {dead:5.1%} dead units on held-out patches, atoms keep "
          f"{localization:.2f} of their energy in 8 pixels (PCA {pca_localization:.2f})")''',
    ),
    StudentAnswer(
        name="ae2-trainsae-train-plus-test",
        assignment="ae2_sparse",
        cell="train-sae",
        correct=False,
        what="trains the graded model on the training and the held-out patches together",
        source=r'''def train_sae(model, x, epochs=8, batch_size=256, lr=5e-3, resample=True, generator=None):
    """Adam on F.mse_loss over shuffled mini-batches of x: (n, input_size); returns per-epoch mean losses."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(x)
    losses = []
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, device=where, generator=generator).to(x.device)
        total = torch.zeros((), device=x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            _, x_hat = model(xb)
            loss = F.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(xb)
        losses.append(total.item() / n)
        if resample and epoch < epochs - 1:
            rows = x[:4096]
            resample_dead_units(model, rows, dead_units(model, rows))
    return losses


device = aeutils.device()
x_patches = patches_train.to(device)  # moved to the device once

aeutils.seed_everything(0)
no_fix = PatchSAE(64, 512, k=4).to(device)
train_sae(no_fix, x_patches, resample=False)

aeutils.seed_everything(0)
model = PatchSAE(64, 512, k=4).to(device)
x_all = torch.cat([patches_train, patches_test]).to(device)
history = train_sae(model, x_all, generator=torch.Generator().manual_seed(0))

for name, m in (("without resampling", no_fix), ("with resampling", model)):
    with torch.no_grad():
        dead = float(dead_units(m, patches_test.to(device)).float().mean())
    localization = float(filters.energy_concentration(m.dictionary().T, top=8).mean())
    print(f"{name:19s}: {dead:5.1%} dead units on held-out patches, atoms keep "
          f"{localization:.2f} of their energy in 8 pixels (PCA {pca_localization:.2f})")''',
    ),
    StudentAnswer(
        name="ae2-trainsae-zero-grad-after-backward",
        assignment="ae2_sparse",
        cell="train-sae",
        correct=False,
        what="calls zero_grad between backward and step: every step uses zero gradients",
        source=r'''def train_sae(model, x, epochs=8, batch_size=256, lr=5e-3, resample=True, generator=None):
    """Adam on F.mse_loss over shuffled mini-batches of x: (n, input_size); returns per-epoch mean losses."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(x)
    losses = []
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, device=where, generator=generator).to(x.device)
        total = torch.zeros((), device=x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            _, x_hat = model(xb)
            loss = F.mse_loss(x_hat, xb)
            loss.backward()
            optimizer.zero_grad()
            optimizer.step()
            total += loss.detach() * len(xb)
        losses.append(total.item() / n)
        if resample and epoch < epochs - 1:
            rows = x[:4096]
            resample_dead_units(model, rows, dead_units(model, rows))
    return losses


device = aeutils.device()
x_patches = patches_train.to(device)  # moved to the device once

aeutils.seed_everything(0)
no_fix = PatchSAE(64, 512, k=4).to(device)
train_sae(no_fix, x_patches, resample=False)

aeutils.seed_everything(0)
model = PatchSAE(64, 512, k=4).to(device)
history = train_sae(model, x_patches, generator=torch.Generator().manual_seed(0))

for name, m in (("without resampling", no_fix), ("with resampling", model)):
    with torch.no_grad():
        dead = float(dead_units(m, patches_test.to(device)).float().mean())
    localization = float(filters.energy_concentration(m.dictionary().T, top=8).mean())
    print(f"{name:19s}: {dead:5.1%} dead units on held-out patches, atoms keep "
          f"{localization:.2f} of their energy in 8 pixels (PCA {pca_localization:.2f})")''',
    ),
    StudentAnswer(
        name="ae2-trainsae-history-not-kept",
        assignment="ae2_sparse",
        cell="train-sae",
        correct=False,
        what="trains the model but never assigns history (Part 5's History object is left there)",
        source=r'''def train_sae(model, x, epochs=8, batch_size=256, lr=5e-3, resample=True, generator=None):
    """Adam on F.mse_loss over shuffled mini-batches of x: (n, input_size); returns per-epoch mean losses."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(x)
    losses = []
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, device=where, generator=generator).to(x.device)
        total = torch.zeros((), device=x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            _, x_hat = model(xb)
            loss = F.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(xb)
        losses.append(total.item() / n)
        if resample and epoch < epochs - 1:
            rows = x[:4096]
            resample_dead_units(model, rows, dead_units(model, rows))
    return losses


device = aeutils.device()
x_patches = patches_train.to(device)  # moved to the device once

aeutils.seed_everything(0)
no_fix = PatchSAE(64, 512, k=4).to(device)
train_sae(no_fix, x_patches, resample=False)

aeutils.seed_everything(0)
model = PatchSAE(64, 512, k=4).to(device)
train_sae(model, x_patches, generator=torch.Generator().manual_seed(0))

for name, m in (("without resampling", no_fix), ("with resampling", model)):
    with torch.no_grad():
        dead = float(dead_units(m, patches_test.to(device)).float().mean())
    localization = float(filters.energy_concentration(m.dictionary().T, top=8).mean())
    print(f"{name:19s}: {dead:5.1%} dead units on held-out patches, atoms keep "
          f"{localization:.2f} of their energy in 8 pixels (PCA {pca_localization:.2f})")''',
    ),
    StudentAnswer(
        name="ae2-trainsae-resample-once-first",
        assignment="ae2_sparse",
        cell="train-sae",
        correct=False,
        what="resamples once, before the first epoch, instead of after every epoch but the last",
        source=r'''def train_sae(model, x, epochs=8, batch_size=256, lr=5e-3, resample=True, generator=None):
    """Adam on F.mse_loss over shuffled mini-batches of x: (n, input_size); returns per-epoch mean losses."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(x)
    losses = []
    if resample:
        rows = x[:4096]
        resample_dead_units(model, rows, dead_units(model, rows))
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, device=where, generator=generator).to(x.device)
        total = torch.zeros((), device=x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            _, x_hat = model(xb)
            loss = F.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(xb)
        losses.append(total.item() / n)
    return losses


device = aeutils.device()
x_patches = patches_train.to(device)  # moved to the device once

aeutils.seed_everything(0)
no_fix = PatchSAE(64, 512, k=4).to(device)
train_sae(no_fix, x_patches, resample=False)

aeutils.seed_everything(0)
model = PatchSAE(64, 512, k=4).to(device)
history = train_sae(model, x_patches, generator=torch.Generator().manual_seed(0))

for name, m in (("without resampling", no_fix), ("with resampling", model)):
    with torch.no_grad():
        dead = float(dead_units(m, patches_test.to(device)).float().mean())
    localization = float(filters.energy_concentration(m.dictionary().T, top=8).mean())
    print(f"{name:19s}: {dead:5.1%} dead units on held-out patches, atoms keep "
          f"{localization:.2f} of their energy in 8 pixels (PCA {pca_localization:.2f})")''',
    ),
    StudentAnswer(
        name="ae2-trainsae-no-fix-copied",
        assignment="ae2_sparse",
        cell="train-sae",
        correct=False,
        what="copies the no_fix call: the graded model is trained with resample=False",
        source=r'''def train_sae(model, x, epochs=8, batch_size=256, lr=5e-3, resample=True, generator=None):
    """Adam on F.mse_loss over shuffled mini-batches of x: (n, input_size); returns per-epoch mean losses."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(x)
    losses = []
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, device=where, generator=generator).to(x.device)
        total = torch.zeros((), device=x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            _, x_hat = model(xb)
            loss = F.mse_loss(x_hat, xb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(xb)
        losses.append(total.item() / n)
        if resample and epoch < epochs - 1:
            rows = x[:4096]
            resample_dead_units(model, rows, dead_units(model, rows))
    return losses


device = aeutils.device()
x_patches = patches_train.to(device)  # moved to the device once

aeutils.seed_everything(0)
no_fix = PatchSAE(64, 512, k=4).to(device)
train_sae(no_fix, x_patches, resample=False)

aeutils.seed_everything(0)
model = PatchSAE(64, 512, k=4).to(device)
history = train_sae(model, x_patches, resample=False, generator=torch.Generator().manual_seed(0))

for name, m in (("without resampling", no_fix), ("with resampling", model)):
    with torch.no_grad():
        dead = float(dead_units(m, patches_test.to(device)).float().mean())
    localization = float(filters.energy_concentration(m.dictionary().T, top=8).mean())
    print(f"{name:19s}: {dead:5.1%} dead units on held-out patches, atoms keep "
          f"{localization:.2f} of their energy in 8 pixels (PCA {pca_localization:.2f})")''',
    ),
    # ------------------------------------------------------------------ ae3_denoising
    # Part 1: gaussian
    StudentAnswer(
        name="ae3-gauss-plain",
        assignment="ae3_denoising",
        cell="gaussian",
        correct=True,
        what="x + std * normal_like(x, generator), then .clamp(0, 1)",
        source=r'''def gaussian_noise(x, std, generator=None):
    """x + N(0, std^2) noise on every pixel, clipped to [0, 1]."""
    return (x + std * normal_like(x, generator)).clamp(0, 1)''',
    ),
    StudentAnswer(
        name="ae3-gauss-clamp-function",
        assignment="ae3_denoising",
        cell="gaussian",
        correct=True,
        what="noise scaled with .mul(std), torch.clamp with min/max keywords",
        source=r'''def gaussian_noise(x, std, generator=None):
    """x + N(0, std^2) noise on every pixel, clipped to [0, 1]."""
    noise = normal_like(x, generator=generator).mul(std)
    return torch.clamp(x + noise, min=0.0, max=1.0)''',
    ),
    StudentAnswer(
        name="ae3-gauss-clone-in-place",
        assignment="ae3_denoising",
        cell="gaussian",
        correct=True,
        what="clones x, then in-place add_(alpha=std) and clamp_ on the copy",
        source=r'''def gaussian_noise(x, std, generator=None):
    """x + N(0, std^2) noise on every pixel, clipped to [0, 1]."""
    noisy = x.clone()
    noisy.add_(normal_like(x, generator), alpha=std)
    return noisy.clamp_(0.0, 1.0)''',
    ),
    StudentAnswer(
        name="ae3-gauss-uniform",
        assignment="ae3_denoising",
        cell="gaussian",
        correct=False,
        what="uniform noise scaled to the right std ((u - 0.5) * sqrt(12) * std): not Gaussian",
        source=r'''def gaussian_noise(x, std, generator=None):
    """x + N(0, std^2) noise on every pixel, clipped to [0, 1]."""
    u = uniform_like(x, generator)
    noise = (u - 0.5) * np.sqrt(12.0) * std  # variance std**2
    return (x + noise).clamp(0, 1)''',
    ),
    StudentAnswer(
        name="ae3-gauss-global-rng",
        assignment="ae3_denoising",
        cell="gaussian",
        correct=False,
        what="torch.randn_like(x): ignores the generator",
        source=r'''def gaussian_noise(x, std, generator=None):
    """x + N(0, std^2) noise on every pixel, clipped to [0, 1]."""
    return (x + std * torch.randn_like(x)).clamp(0, 1)''',
    ),
    StudentAnswer(
        name="ae3-gauss-no-clip",
        assignment="ae3_denoising",
        cell="gaussian",
        correct=False,
        what="forgets to clip the noisy image to [0, 1]",
        source=r'''def gaussian_noise(x, std, generator=None):
    """x + N(0, std^2) noise on every pixel, clipped to [0, 1]."""
    return x + std * normal_like(x, generator)''',
    ),
    StudentAnswer(
        name="ae3-gauss-in-place",
        assignment="ae3_denoising",
        cell="gaussian",
        correct=False,
        what="adds the noise to x in place and returns x",
        source=r'''def gaussian_noise(x, std, generator=None):
    """x + N(0, std^2) noise on every pixel, clipped to [0, 1]."""
    x.add_(std * normal_like(x, generator)).clamp_(0, 1)
    return x''',
    ),
    StudentAnswer(
        name="ae3-gauss-variance",
        assignment="ae3_denoising",
        cell="gaussian",
        correct=False,
        what="scales the noise by std ** 2 (the variance) instead of std",
        source=r'''def gaussian_noise(x, std, generator=None):
    """x + N(0, std^2) noise on every pixel, clipped to [0, 1]."""
    return (x + std ** 2 * normal_like(x, generator)).clamp(0, 1)''',
    ),
    StudentAnswer(
        name="ae3-gauss-cpu-noise",
        assignment="ae3_denoising",
        cell="gaussian",
        correct=False,
        what="torch.randn(x.shape, generator=generator): the noise is made on the CPU",
        source=r'''def gaussian_noise(x, std, generator=None):
    """x + N(0, std^2) noise on every pixel, clipped to [0, 1]."""
    noise = torch.randn(x.shape, generator=generator)
    return (x + std * noise).clamp(0, 1)''',
    ),
    StudentAnswer(
        name="ae3-gauss-generator-on-device",
        assignment="ae3_denoising",
        cell="gaussian",
        correct=False,
        what="torch.randn(..., generator=generator, device=x.device): a CPU generator with a GPU x raises",
        source=r'''def gaussian_noise(x, std, generator=None):
    """x + N(0, std^2) noise on every pixel, clipped to [0, 1]."""
    noise = torch.randn(x.shape, generator=generator, device=x.device)
    return (x + std * noise).clamp(0, 1)''',
    ),
    StudentAnswer(
        name="ae3-gauss-handoff",
        assignment="ae3_denoising",
        cell="gaussian",
        correct=False,
        what="hand-off: returns aeutils.noise.gaussian(x, std, generator=generator)",
        source=r'''def gaussian_noise(x, std, generator=None):
    """x + N(0, std^2) noise on every pixel, clipped to [0, 1]."""
    return aeutils.noise.gaussian(x, std, generator=generator)''',
    ),
    # Part 2: salt-pepper
    StudentAnswer(
        name="ae3-sp-masks",
        assignment="ae3_denoising",
        cell="salt-pepper",
        correct=True,
        what="one uniform draw; pixels below amount/2 set to 0, those in [amount/2, amount) to 1, on a clone",
        source=r'''def salt_and_pepper(x, amount, generator=None):
    """Set a random fraction `amount` of the pixels to 0 or 1 (half each on average)."""
    u = uniform_like(x, generator)
    noisy = x.clone()
    noisy[u < amount / 2] = 0.0
    noisy[(u >= amount / 2) & (u < amount)] = 1.0
    return noisy''',
    ),
    StudentAnswer(
        name="ae3-sp-where",
        assignment="ae3_denoising",
        cell="salt-pepper",
        correct=True,
        what="nested torch.where with the scalars 0.0 and 1.0",
        source=r'''def salt_and_pepper(x, amount, generator=None):
    """Set a random fraction `amount` of the pixels to 0 or 1 (half each on average)."""
    u = uniform_like(x, generator=generator)
    return torch.where(u < amount / 2, 0.0, torch.where(u < amount, 1.0, x))''',
    ),
    StudentAnswer(
        name="ae3-sp-masked-fill",
        assignment="ae3_denoising",
        cell="salt-pepper",
        correct=True,
        what="salt first, then pepper, with masked_fill (out of place)",
        source=r'''def salt_and_pepper(x, amount, generator=None):
    """Set a random fraction `amount` of the pixels to 0 or 1 (half each on average)."""
    u = uniform_like(x, generator)
    salt = (u >= 0.5 * amount) & (u < amount)
    pepper = u < 0.5 * amount
    return x.masked_fill(salt, 1.0).masked_fill(pepper, 0.0)''',
    ),
    StudentAnswer(
        name="ae3-sp-double-amount",
        assignment="ae3_denoising",
        cell="salt-pepper",
        correct=False,
        what="pepper on u < amount and salt on amount <= u < 2 amount: twice the asked fraction",
        source=r'''def salt_and_pepper(x, amount, generator=None):
    """Set a random fraction `amount` of the pixels to 0 or 1 (half each on average)."""
    u = uniform_like(x, generator)
    noisy = x.clone()
    noisy[u < amount] = 0.0
    noisy[(u >= amount) & (u < 2 * amount)] = 1.0
    return noisy''',
    ),
    StudentAnswer(
        name="ae3-sp-in-place",
        assignment="ae3_denoising",
        cell="salt-pepper",
        correct=False,
        what="writes the 0s and 1s into x itself (no clone)",
        source=r'''def salt_and_pepper(x, amount, generator=None):
    """Set a random fraction `amount` of the pixels to 0 or 1 (half each on average)."""
    u = uniform_like(x, generator)
    x[u < amount / 2] = 0.0
    x[(u >= amount / 2) & (u < amount)] = 1.0
    return x''',
    ),
    StudentAnswer(
        name="ae3-sp-no-generator",
        assignment="ae3_denoising",
        cell="salt-pepper",
        correct=False,
        what="calls uniform_like(x) without passing the generator on",
        source=r'''def salt_and_pepper(x, amount, generator=None):
    """Set a random fraction `amount` of the pixels to 0 or 1 (half each on average)."""
    u = uniform_like(x)
    noisy = x.clone()
    noisy[u < amount / 2] = 0.0
    noisy[(u >= amount / 2) & (u < amount)] = 1.0
    return noisy''',
    ),
    StudentAnswer(
        name="ae3-sp-cpu-uniform",
        assignment="ae3_denoising",
        cell="salt-pepper",
        correct=False,
        what="draws u with torch.rand(x.shape, generator=generator) on the CPU, then torch.where with x",
        source=r'''def salt_and_pepper(x, amount, generator=None):
    """Set a random fraction `amount` of the pixels to 0 or 1 (half each on average)."""
    u = torch.rand(x.shape, generator=generator)
    return torch.where(u < amount / 2, 0.0, torch.where(u < amount, 1.0, x))''',
    ),
    StudentAnswer(
        name="ae3-sp-two-draws",
        assignment="ae3_denoising",
        cell="salt-pepper",
        correct=False,
        what="independent draws for pepper and salt: overlaps make the corrupted fraction too small and skew salt vs pepper",
        source=r'''def salt_and_pepper(x, amount, generator=None):
    """Set a random fraction `amount` of the pixels to 0 or 1 (half each on average)."""
    pepper = uniform_like(x, generator) < amount / 2
    salt = uniform_like(x, generator) < amount / 2
    noisy = x.clone()
    noisy[pepper] = 0.0
    noisy[salt] = 1.0
    return noisy''',
    ),
    StudentAnswer(
        name="ae3-sp-handoff",
        assignment="ae3_denoising",
        cell="salt-pepper",
        correct=False,
        what="hand-off: returns aeutils.noise.salt_and_pepper(x, amount, generator)",
        source=r'''def salt_and_pepper(x, amount, generator=None):
    """Set a random fraction `amount` of the pixels to 0 or 1 (half each on average)."""
    return aeutils.noise.salt_and_pepper(x, amount, generator=generator)''',
    ),
    # Part 3: masking
    StudentAnswer(
        name="ae3-mask-multiply",
        assignment="ae3_denoising",
        cell="masking",
        correct=True,
        what="multiplies x by the keep-mask u >= fraction",
        source=r'''def masking_noise(x, fraction, generator=None):
    """Zero a random fraction of the pixels; leave the rest unchanged."""
    keep = uniform_like(x, generator) >= fraction
    return x * keep''',
    ),
    StudentAnswer(
        name="ae3-mask-where",
        assignment="ae3_denoising",
        cell="masking",
        correct=True,
        what="torch.where(u < fraction, zeros_like(x), x)",
        source=r'''def masking_noise(x, fraction, generator=None):
    """Zero a random fraction of the pixels; leave the rest unchanged."""
    u = uniform_like(x, generator=generator)
    return torch.where(u < fraction, torch.zeros_like(x), x)''',
    ),
    StudentAnswer(
        name="ae3-mask-masked-fill",
        assignment="ae3_denoising",
        cell="masking",
        correct=True,
        what="x.masked_fill(u < fraction, 0.0)",
        source=r'''def masking_noise(x, fraction, generator=None):
    """Zero a random fraction of the pixels; leave the rest unchanged."""
    return x.masked_fill(uniform_like(x, generator) < fraction, 0.0)''',
    ),
    StudentAnswer(
        name="ae3-mask-keeps-fraction",
        assignment="ae3_denoising",
        cell="masking",
        correct=False,
        what="keeps the pixels with u < fraction: zeroes 1 - fraction of them",
        source=r'''def masking_noise(x, fraction, generator=None):
    """Zero a random fraction of the pixels; leave the rest unchanged."""
    return x * (uniform_like(x, generator) < fraction)''',
    ),
    StudentAnswer(
        name="ae3-mask-dropout",
        assignment="ae3_denoising",
        cell="masking",
        correct=False,
        what="F.dropout(x, p=fraction): rescales the kept pixels by 1/(1-p) and ignores the generator",
        source=r'''def masking_noise(x, fraction, generator=None):
    """Zero a random fraction of the pixels; leave the rest unchanged."""
    return F.dropout(x, p=fraction, training=True)''',
    ),
    StudentAnswer(
        name="ae3-mask-bernoulli-generator",
        assignment="ae3_denoising",
        cell="masking",
        correct=False,
        what="torch.bernoulli with the generator on x's device: a CPU generator with a GPU x raises",
        source=r'''def masking_noise(x, fraction, generator=None):
    """Zero a random fraction of the pixels; leave the rest unchanged."""
    keep = torch.bernoulli(torch.full_like(x, 1.0 - fraction), generator=generator)
    return x * keep''',
    ),
    StudentAnswer(
        name="ae3-mask-in-place",
        assignment="ae3_denoising",
        cell="masking",
        correct=False,
        what="zeroes the chosen pixels of x in place",
        source=r'''def masking_noise(x, fraction, generator=None):
    """Zero a random fraction of the pixels; leave the rest unchanged."""
    x[uniform_like(x, generator) < fraction] = 0.0
    return x''',
    ),
    StudentAnswer(
        name="ae3-mask-handoff",
        assignment="ae3_denoising",
        cell="masking",
        correct=False,
        what="hand-off: returns aeutils.noise.mask_pixels(x, fraction, generator)",
        source=r'''def masking_noise(x, fraction, generator=None):
    """Zero a random fraction of the pixels; leave the rest unchanged."""
    return aeutils.noise.mask_pixels(x, fraction, generator=generator)''',
    ),
    # Parts 4-5: bert-mask
    StudentAnswer(
        name="ae3-bert-index",
        assignment="ae3_denoising",
        cell="bert-mask",
        correct=True,
        what="select with one draw, decide with a second; boolean-mask assignment on a clone",
        source=r'''def bert_mask(tokens, mask_id, vocab_size, rate=0.15, generator=None):
    """BERT's corruption. Returns (corrupted, targets, mask), all shaped like tokens."""
    selected = uniform_like(tokens, generator) < rate
    action = uniform_like(tokens, generator)
    random_tokens = randint_like(tokens, vocab_size, generator)
    corrupted = tokens.clone()
    to_mask = selected & (action < 0.8)
    to_random = selected & (action >= 0.8) & (action < 0.9)
    corrupted[to_mask] = mask_id
    corrupted[to_random] = random_tokens[to_random]
    return corrupted, tokens.clone(), selected''',
    ),
    StudentAnswer(
        name="ae3-bert-where",
        assignment="ae3_denoising",
        cell="bert-mask",
        correct=True,
        what="torch.where chain: [MASK] below 0.8, a random token in [0.8, 0.9), the original otherwise",
        source=r'''def bert_mask(tokens, mask_id, vocab_size, rate=0.15, generator=None):
    """BERT's corruption. Returns (corrupted, targets, mask), all shaped like tokens."""
    mask = uniform_like(tokens, generator=generator) < rate
    u = uniform_like(tokens, generator=generator)
    random_tokens = randint_like(tokens, vocab_size, generator=generator)
    replaced = torch.where(u < 0.8, torch.full_like(tokens, mask_id),
                           torch.where(u < 0.9, random_tokens, tokens))
    corrupted = torch.where(mask, replaced, tokens)
    targets = tokens.clone()
    return corrupted, targets, mask''',
    ),
    StudentAnswer(
        name="ae3-bert-one-draw",
        assignment="ae3_denoising",
        cell="bert-mask",
        correct=True,
        what="one uniform draw: u < rate selects, u / rate (uniform again on the selected) picks the action",
        source=r'''def bert_mask(tokens, mask_id, vocab_size, rate=0.15, generator=None):
    """BERT's corruption. Returns (corrupted, targets, mask), all shaped like tokens."""
    u = uniform_like(tokens, generator)
    mask = u < rate
    v = u / rate  # given u < rate, v is uniform in [0, 1)
    random_tokens = randint_like(tokens, vocab_size, generator)
    corrupted = tokens.clone()
    corrupted = torch.where(mask & (v < 0.8), mask_id, corrupted)
    corrupted = torch.where(mask & (v >= 0.8) & (v < 0.9), random_tokens, corrupted)
    return corrupted, tokens.clone(), mask''',
    ),
    StudentAnswer(
        name="ae3-bert-unselected-changed",
        assignment="ae3_denoising",
        cell="bert-mask",
        correct=False,
        what="the 10% random replacement is applied to every position, selected or not",
        source=r'''def bert_mask(tokens, mask_id, vocab_size, rate=0.15, generator=None):
    """BERT's corruption. Returns (corrupted, targets, mask), all shaped like tokens."""
    selected = uniform_like(tokens, generator) < rate
    action = uniform_like(tokens, generator)
    random_tokens = randint_like(tokens, vocab_size, generator)
    corrupted = tokens.clone()
    to_mask = selected & (action < 0.8)
    to_random = (action >= 0.8) & (action < 0.9)
    corrupted[to_mask] = mask_id
    corrupted[to_random] = random_tokens[to_random]
    return corrupted, tokens.clone(), selected''',
    ),
    StudentAnswer(
        name="ae3-bert-mask-only-replaced",
        assignment="ae3_denoising",
        cell="bert-mask",
        correct=False,
        what="returns as mask only the positions set to [MASK] (80% of the selected ones)",
        source=r'''def bert_mask(tokens, mask_id, vocab_size, rate=0.15, generator=None):
    """BERT's corruption. Returns (corrupted, targets, mask), all shaped like tokens."""
    selected = uniform_like(tokens, generator) < rate
    action = uniform_like(tokens, generator)
    random_tokens = randint_like(tokens, vocab_size, generator)
    corrupted = tokens.clone()
    to_mask = selected & (action < 0.8)
    to_random = selected & (action >= 0.8) & (action < 0.9)
    corrupted[to_mask] = mask_id
    corrupted[to_random] = random_tokens[to_random]
    return corrupted, tokens.clone(), to_mask''',
    ),
    StudentAnswer(
        name="ae3-bert-global-randint",
        assignment="ae3_denoising",
        cell="bert-mask",
        correct=False,
        what="random tokens from torch.randint(0, vocab_size, tokens.shape): CPU and the global RNG",
        source=r'''def bert_mask(tokens, mask_id, vocab_size, rate=0.15, generator=None):
    """BERT's corruption. Returns (corrupted, targets, mask), all shaped like tokens."""
    selected = uniform_like(tokens, generator) < rate
    action = uniform_like(tokens, generator)
    random_tokens = torch.randint(0, vocab_size, tokens.shape)
    corrupted = tokens.clone()
    to_mask = selected & (action < 0.8)
    to_random = selected & (action >= 0.8) & (action < 0.9)
    corrupted[to_mask] = mask_id
    corrupted[to_random] = random_tokens[to_random]
    return corrupted, tokens.clone(), selected''',
    ),
    StudentAnswer(
        name="ae3-bert-targets-alias",
        assignment="ae3_denoising",
        cell="bert-mask",
        correct=False,
        what="targets is tokens itself, not a copy",
        source=r'''def bert_mask(tokens, mask_id, vocab_size, rate=0.15, generator=None):
    """BERT's corruption. Returns (corrupted, targets, mask), all shaped like tokens."""
    selected = uniform_like(tokens, generator) < rate
    action = uniform_like(tokens, generator)
    random_tokens = randint_like(tokens, vocab_size, generator)
    corrupted = tokens.clone()
    to_mask = selected & (action < 0.8)
    to_random = selected & (action >= 0.8) & (action < 0.9)
    corrupted[to_mask] = mask_id
    corrupted[to_random] = random_tokens[to_random]
    return corrupted, tokens, selected''',
    ),
    StudentAnswer(
        name="ae3-bert-in-place",
        assignment="ae3_denoising",
        cell="bert-mask",
        correct=False,
        what="corrupted = tokens (no clone): the caller's tokens are overwritten",
        source=r'''def bert_mask(tokens, mask_id, vocab_size, rate=0.15, generator=None):
    """BERT's corruption. Returns (corrupted, targets, mask), all shaped like tokens."""
    selected = uniform_like(tokens, generator) < rate
    action = uniform_like(tokens, generator)
    random_tokens = randint_like(tokens, vocab_size, generator)
    corrupted = tokens
    to_mask = selected & (action < 0.8)
    to_random = selected & (action >= 0.8) & (action < 0.9)
    corrupted[to_mask] = mask_id
    corrupted[to_random] = random_tokens[to_random]
    return corrupted, tokens.clone(), selected''',
    ),
    StudentAnswer(
        name="ae3-bert-vocab-off-by-one",
        assignment="ae3_denoising",
        cell="bert-mask",
        correct=False,
        what="random tokens from randint_like(tokens, vocab_size - 1): the last id is never drawn",
        source=r'''def bert_mask(tokens, mask_id, vocab_size, rate=0.15, generator=None):
    """BERT's corruption. Returns (corrupted, targets, mask), all shaped like tokens."""
    selected = uniform_like(tokens, generator) < rate
    action = uniform_like(tokens, generator)
    random_tokens = randint_like(tokens, vocab_size - 1, generator)
    corrupted = tokens.clone()
    to_mask = selected & (action < 0.8)
    to_random = selected & (action >= 0.8) & (action < 0.9)
    corrupted[to_mask] = mask_id
    corrupted[to_random] = random_tokens[to_random]
    return corrupted, tokens.clone(), selected''',
    ),
    StudentAnswer(
        name="ae3-bert-no-unchanged",
        assignment="ae3_denoising",
        cell="bert-mask",
        correct=False,
        what="90% [MASK] and 10% random: no selected token is left unchanged",
        source=r'''def bert_mask(tokens, mask_id, vocab_size, rate=0.15, generator=None):
    """BERT's corruption. Returns (corrupted, targets, mask), all shaped like tokens."""
    selected = uniform_like(tokens, generator) < rate
    action = uniform_like(tokens, generator)
    random_tokens = randint_like(tokens, vocab_size, generator)
    corrupted = tokens.clone()
    to_mask = selected & (action < 0.9)
    to_random = selected & (action >= 0.9)
    corrupted[to_mask] = mask_id
    corrupted[to_random] = random_tokens[to_random]
    return corrupted, tokens.clone(), selected''',
    ),
    StudentAnswer(
        name="ae3-bert-long-mask",
        assignment="ae3_denoising",
        cell="bert-mask",
        correct=False,
        what="returns the mask as int64 (selected.long()) instead of bool",
        source=r'''def bert_mask(tokens, mask_id, vocab_size, rate=0.15, generator=None):
    """BERT's corruption. Returns (corrupted, targets, mask), all shaped like tokens."""
    selected = uniform_like(tokens, generator) < rate
    action = uniform_like(tokens, generator)
    random_tokens = randint_like(tokens, vocab_size, generator)
    corrupted = tokens.clone()
    to_mask = selected & (action < 0.8)
    to_random = selected & (action >= 0.8) & (action < 0.9)
    corrupted[to_mask] = mask_id
    corrupted[to_random] = random_tokens[to_random]
    return corrupted, tokens.clone(), selected.long()''',
    ),
    StudentAnswer(
        name="ae3-bert-handoff",
        assignment="ae3_denoising",
        cell="bert-mask",
        correct=False,
        what="hand-off: returns aeutils.noise.bert_mask(...)",
        source=r'''def bert_mask(tokens, mask_id, vocab_size, rate=0.15, generator=None):
    """BERT's corruption. Returns (corrupted, targets, mask), all shaped like tokens."""
    corrupted, targets, mask = aeutils.noise.bert_mask(tokens, mask_id, vocab_size, rate=rate,
                                                       generator=generator)
    return corrupted, targets, mask''',
    ),
    # Part 6: masked-loss
    StudentAnswer(
        name="ae3-mloss-select",
        assignment="ae3_denoising",
        cell="masked-loss",
        correct=True,
        what="raises ValueError for an empty mask, else F.cross_entropy on logits[mask], targets[mask]",
        source=r'''def masked_token_loss(logits, targets, mask):
    """Mean cross-entropy over the masked positions: logits (B, L, V), targets (B, L), mask (B, L) bool."""
    if not mask.any():
        raise ValueError("mask selects no position: there is nothing to average over")
    return F.cross_entropy(logits[mask], targets[mask])''',
    ),
    StudentAnswer(
        name="ae3-mloss-transpose",
        assignment="ae3_denoising",
        cell="masked-loss",
        correct=True,
        what="per-position cross-entropy (class dim second), masked sum over the mask count",
        source=r'''def masked_token_loss(logits, targets, mask):
    """Mean cross-entropy over the masked positions: logits (B, L, V), targets (B, L), mask (B, L) bool."""
    count = mask.sum()
    if count == 0:
        raise ValueError("masked_token_loss: mask is all False, no position to score")
    per_position = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")  # (B, L)
    return (per_position * mask).sum() / count''',
    ),
    StudentAnswer(
        name="ae3-mloss-log-softmax",
        assignment="ae3_denoising",
        cell="masked-loss",
        correct=True,
        what="flattens, selects the masked rows, log_softmax + gather, mean",
        source=r'''def masked_token_loss(logits, targets, mask):
    """Mean cross-entropy over the masked positions: logits (B, L, V), targets (B, L), mask (B, L) bool."""
    flat_mask = mask.reshape(-1)
    if int(flat_mask.sum()) == 0:
        raise ValueError("no masked position in mask")
    vocab = logits.shape[-1]
    chosen_logits = logits.reshape(-1, vocab)[flat_mask]
    chosen_targets = targets.reshape(-1)[flat_mask]
    log_probs = F.log_softmax(chosen_logits, dim=-1)
    return -log_probs.gather(1, chosen_targets[:, None]).mean()''',
    ),
    StudentAnswer(
        name="ae3-mloss-all-positions",
        assignment="ae3_denoising",
        cell="masked-loss",
        correct=False,
        what="cross-entropy averaged over every position: the mask is not used",
        source=r'''def masked_token_loss(logits, targets, mask):
    """Mean cross-entropy over the masked positions: logits (B, L, V), targets (B, L), mask (B, L) bool."""
    return F.cross_entropy(logits.transpose(1, 2), targets)''',
    ),
    StudentAnswer(
        name="ae3-mloss-divide-numel",
        assignment="ae3_denoising",
        cell="masked-loss",
        correct=False,
        what="masked sum divided by the number of all positions instead of the masked ones",
        source=r'''def masked_token_loss(logits, targets, mask):
    """Mean cross-entropy over the masked positions: logits (B, L, V), targets (B, L), mask (B, L) bool."""
    if not mask.any():
        raise ValueError("mask selects no position")
    per_position = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
    return (per_position * mask).sum() / mask.numel()''',
    ),
    StudentAnswer(
        name="ae3-mloss-nan-when-empty",
        assignment="ae3_denoising",
        cell="masked-loss",
        correct=False,
        what="no check for an empty mask: the mean over nothing is NaN",
        source=r'''def masked_token_loss(logits, targets, mask):
    """Mean cross-entropy over the masked positions: logits (B, L, V), targets (B, L), mask (B, L) bool."""
    return F.cross_entropy(logits[mask], targets[mask])''',
    ),
    StudentAnswer(
        name="ae3-mloss-zero-when-empty",
        assignment="ae3_denoising",
        cell="masked-loss",
        correct=False,
        what="returns 0 for an empty mask instead of raising (silently zero)",
        source=r'''def masked_token_loss(logits, targets, mask):
    """Mean cross-entropy over the masked positions: logits (B, L, V), targets (B, L), mask (B, L) bool."""
    if not mask.any():
        return torch.zeros((), device=logits.device)
    return F.cross_entropy(logits[mask], targets[mask])''',
    ),
    StudentAnswer(
        name="ae3-mloss-unstable-lse",
        assignment="ae3_denoising",
        cell="masked-loss",
        correct=False,
        what="writes the softmax's normalizer as log(exp(logits).sum()): overflows for large logits",
        source=r'''def masked_token_loss(logits, targets, mask):
    """Mean cross-entropy over the masked positions: logits (B, L, V), targets (B, L), mask (B, L) bool."""
    if not mask.any():
        raise ValueError("mask selects no position")
    picked = logits.gather(2, targets.unsqueeze(2)).squeeze(2)  # (B, L)
    log_norm = torch.log(torch.exp(logits).sum(dim=2))
    nll = log_norm - picked
    return nll[mask].mean()''',
    ),
    StudentAnswer(
        name="ae3-mloss-inverted-mask",
        assignment="ae3_denoising",
        cell="masked-loss",
        correct=False,
        what="scores the unmasked positions (~mask) instead of the masked ones",
        source=r'''def masked_token_loss(logits, targets, mask):
    """Mean cross-entropy over the masked positions: logits (B, L, V), targets (B, L), mask (B, L) bool."""
    if not mask.any():
        raise ValueError("mask selects no position")
    return F.cross_entropy(logits[~mask], targets[~mask])''',
    ),
    StudentAnswer(
        name="ae3-mloss-handoff",
        assignment="ae3_denoising",
        cell="masked-loss",
        correct=False,
        what="hand-off: returns aeutils.losses.masked_token_loss(...)",
        source=r'''def masked_token_loss(logits, targets, mask):
    """Mean cross-entropy over the masked positions: logits (B, L, V), targets (B, L), mask (B, L) bool."""
    return aeutils.losses.masked_token_loss(logits, targets, mask)''',
    ),
    # Part 7: conv-dae
    StudentAnswer(
        name="ae3-conv-plain",
        assignment="ae3_denoising",
        cell="conv-dae",
        correct=True,
        what="the two nn.Sequential stacks as listed; forward returns (h, decode(h))",
        source=r'''class ConvDAE(nn.Module):
    """(batch, 1, 28, 28) -> h: (batch, 2c, 7, 7) -> x_hat: (batch, 1, 28, 28)."""

    def __init__(self, channels=16):
        super().__init__()
        c = channels
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.ReLU(),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * c, c, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c, 1, 3, stride=2, padding=1, output_padding=1),
        )

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)''',
    ),
    StudentAnswer(
        name="ae3-conv-named-layers",
        assignment="ae3_denoising",
        cell="conv-dae",
        correct=True,
        what="nn.Sequential from an OrderedDict of named layers; F.relu-free forward through encode/decode",
        source=r'''from collections import OrderedDict


class ConvDAE(nn.Module):
    """(batch, 1, 28, 28) -> h: (batch, 2c, 7, 7) -> x_hat: (batch, 1, 28, 28)."""

    def __init__(self, channels=16):
        super().__init__()
        self.channels = channels
        self.encoder = nn.Sequential(OrderedDict([
            ("conv1", nn.Conv2d(1, channels, kernel_size=3, stride=2, padding=1)),
            ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(channels, 2 * channels, kernel_size=3, stride=2, padding=1)),
            ("relu2", nn.ReLU()),
        ]))
        self.decoder = nn.Sequential(OrderedDict([
            ("deconv1", nn.ConvTranspose2d(2 * channels, channels, kernel_size=3, stride=2, padding=1,
                                           output_padding=1)),
            ("relu", nn.ReLU()),
            ("deconv2", nn.ConvTranspose2d(channels, 1, kernel_size=3, stride=2, padding=1, output_padding=1)),
        ]))

    def forward(self, x):
        code = self.encode(x)
        return code, self.decode(code)

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)''',
    ),
    StudentAnswer(
        name="ae3-conv-keywords",
        assignment="ae3_denoising",
        cell="conv-dae",
        correct=True,
        what="layers built in lists with keyword arguments (in_channels=...), decoder list first",
        source=r'''class ConvDAE(nn.Module):
    """(batch, 1, 28, 28) -> h: (batch, 2c, 7, 7) -> x_hat: (batch, 1, 28, 28)."""

    def __init__(self, channels=16):
        super().__init__()
        c, c2 = channels, 2 * channels
        dec = [nn.ConvTranspose2d(in_channels=c2, out_channels=c, kernel_size=3, stride=2, padding=1, output_padding=1),
               nn.ReLU(inplace=True),
               nn.ConvTranspose2d(in_channels=c, out_channels=1, kernel_size=3, stride=2, padding=1, output_padding=1)]
        enc = [nn.Conv2d(in_channels=1, out_channels=c, kernel_size=3, stride=2, padding=1), nn.ReLU(),
               nn.Conv2d(in_channels=c, out_channels=c2, kernel_size=3, stride=2, padding=1), nn.ReLU()]
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(*dec)

    def decode(self, h):
        return self.decoder(h)

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        h = self.encoder(x)
        x_hat = self.decoder(h)
        return h, x_hat''',
    ),
    StudentAnswer(
        name="ae3-conv-sigmoid",
        assignment="ae3_denoising",
        cell="conv-dae",
        correct=False,
        what="adds a final nn.Sigmoid although the text warns against it",
        source=r'''class ConvDAE(nn.Module):
    """(batch, 1, 28, 28) -> h: (batch, 2c, 7, 7) -> x_hat: (batch, 1, 28, 28)."""

    def __init__(self, channels=16):
        super().__init__()
        c = channels
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.ReLU(),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * c, c, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid(),
        )

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)''',
    ),
    StudentAnswer(
        name="ae3-conv-no-decoder-relu",
        assignment="ae3_denoising",
        cell="conv-dae",
        correct=False,
        what="missing nonlinearity: no ReLU between the two transposed convolutions",
        source=r'''class ConvDAE(nn.Module):
    """(batch, 1, 28, 28) -> h: (batch, 2c, 7, 7) -> x_hat: (batch, 1, 28, 28)."""

    def __init__(self, channels=16):
        super().__init__()
        c = channels
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.ReLU(),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * c, c, 3, stride=2, padding=1, output_padding=1),
            nn.ConvTranspose2d(c, 1, 3, stride=2, padding=1, output_padding=1),
        )

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)''',
    ),
    StudentAnswer(
        name="ae3-conv-no-output-padding",
        assignment="ae3_denoising",
        cell="conv-dae",
        correct=False,
        what="transposed convolutions without output_padding: 25 x 25 outputs",
        source=r'''class ConvDAE(nn.Module):
    """(batch, 1, 28, 28) -> h: (batch, 2c, 7, 7) -> x_hat: (batch, 1, 28, 28)."""

    def __init__(self, channels=16):
        super().__init__()
        c = channels
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.ReLU(),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * c, c, 3, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c, 1, 3, stride=2, padding=1),
        )

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)''',
    ),
    StudentAnswer(
        name="ae3-conv-swapped-outputs",
        assignment="ae3_denoising",
        cell="conv-dae",
        correct=False,
        what="forward returns (x_hat, h)",
        source=r'''class ConvDAE(nn.Module):
    """(batch, 1, 28, 28) -> h: (batch, 2c, 7, 7) -> x_hat: (batch, 1, 28, 28)."""

    def __init__(self, channels=16):
        super().__init__()
        c = channels
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.ReLU(),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * c, c, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c, 1, 3, stride=2, padding=1, output_padding=1),
        )

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return self.decode(h), h''',
    ),
    StudentAnswer(
        name="ae3-conv-ignores-channels",
        assignment="ae3_denoising",
        cell="conv-dae",
        correct=False,
        what="hard-codes 16 channels: ConvDAE(4) still builds the 16-channel model",
        source=r'''class ConvDAE(nn.Module):
    """(batch, 1, 28, 28) -> h: (batch, 2c, 7, 7) -> x_hat: (batch, 1, 28, 28)."""

    def __init__(self, channels=16):
        super().__init__()
        c = 16
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.ReLU(),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * c, c, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c, 1, 3, stride=2, padding=1, output_padding=1),
        )

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        h = self.encode(x)
        return h, self.decode(h)''',
    ),
    # Part 8: train-denoiser
    StudentAnswer(
        name="ae3-denoiser-plain",
        assignment="ae3_denoising",
        cell="train-denoiser",
        correct=True,
        what="permutation drawn where the generator lives; fresh noise per batch from the same generator; weighted epoch mean",
        source=r'''def train_denoiser(model, x_clean, *, std, epochs, batch_size, lr, generator=None):
    """Train model to map gaussian_noise(x, std) back to x: (n, 1, 28, 28); return (epochs,) losses."""
    device = next(model.parameters()).device
    x_clean = x_clean.to(device)
    n = len(x_clean)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else device
        order = torch.randperm(n, generator=generator, device=where).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            clean = x_clean[order[start:start + batch_size]]
            noisy = gaussian_noise(clean, std, generator)
            _, x_hat = model(noisy)
            loss = F.mse_loss(x_hat, clean)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(clean)
        history[epoch] = total / n
    return history''',
    ),
    StudentAnswer(
        name="ae3-denoiser-split-stack",
        assignment="ae3_denoising",
        cell="train-denoiser",
        correct=True,
        what="torch.randperm(n, generator=g).to(device); perm.split; sum-reduced error over n * pixels; stacked history",
        source=r'''def train_denoiser(model, x_clean, *, std, epochs, batch_size, lr, generator=None):
    """Train model to map gaussian_noise(x, std) back to x: (n, 1, 28, 28); return (epochs,) losses."""
    dev = next(model.parameters()).device
    data = x_clean.to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    per_epoch = []
    for _ in range(epochs):
        perm = torch.randperm(len(data), generator=generator).to(dev)
        sq_sum = torch.zeros((), device=dev)
        for idx in perm.split(batch_size):
            target = data[idx]
            corrupted = gaussian_noise(target, std, generator=generator)
            x_hat = model(corrupted)[1]
            batch_sum = F.mse_loss(x_hat, target, reduction="sum")
            opt.zero_grad(set_to_none=True)
            (batch_sum / target.numel()).backward()
            opt.step()
            sq_sum = sq_sum + batch_sum.detach()
        per_epoch.append(sq_sum / data.numel())
    return torch.stack(per_epoch)''',
    ),
    StudentAnswer(
        name="ae3-denoiser-while",
        assignment="ae3_denoising",
        cell="train-denoiser",
        correct=True,
        what="a while loop over start indices; squared error written out; model.train() first",
        source=r'''def train_denoiser(model, x_clean, *, std, epochs, batch_size, lr, generator=None):
    """Train model to map gaussian_noise(x, std) back to x: (n, 1, 28, 28); return (epochs,) losses."""
    device = next(model.parameters()).device
    x_clean = x_clean.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = torch.empty(epochs, device=device)
    model.train()
    n = x_clean.shape[0]
    for e in range(epochs):
        g_dev = device if generator is None else generator.device
        perm = torch.randperm(n, generator=generator, device=g_dev).to(device)
        acc = torch.zeros((), device=device)
        i = 0
        while i < n:
            clean = x_clean[perm[i:i + batch_size]]
            i += batch_size
            h, out = model(gaussian_noise(clean, std, generator))
            loss = ((out - clean) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            acc += loss.detach() * clean.shape[0]
        losses[e] = acc / n
    return losses''',
    ),
    StudentAnswer(
        name="ae3-denoiser-fixed-noise",
        assignment="ae3_denoising",
        cell="train-denoiser",
        correct=False,
        what="makes one noisy copy of the data before training and reuses it every epoch",
        source=r'''def train_denoiser(model, x_clean, *, std, epochs, batch_size, lr, generator=None):
    """Train model to map gaussian_noise(x, std) back to x: (n, 1, 28, 28); return (epochs,) losses."""
    device = next(model.parameters()).device
    x_clean = x_clean.to(device)
    n = len(x_clean)
    x_noisy = gaussian_noise(x_clean, std, generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else device
        order = torch.randperm(n, generator=generator, device=where).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            clean, noisy = x_clean[idx], x_noisy[idx]
            _, x_hat = model(noisy)
            loss = F.mse_loss(x_hat, clean)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(clean)
        history[epoch] = total / n
    return history''',
    ),
    StudentAnswer(
        name="ae3-denoiser-noisy-target",
        assignment="ae3_denoising",
        cell="train-denoiser",
        correct=False,
        what="the loss compares the output with the noisy batch instead of the clean one",
        source=r'''def train_denoiser(model, x_clean, *, std, epochs, batch_size, lr, generator=None):
    """Train model to map gaussian_noise(x, std) back to x: (n, 1, 28, 28); return (epochs,) losses."""
    device = next(model.parameters()).device
    x_clean = x_clean.to(device)
    n = len(x_clean)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else device
        order = torch.randperm(n, generator=generator, device=where).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            clean = x_clean[order[start:start + batch_size]]
            noisy = gaussian_noise(clean, std, generator)
            _, x_hat = model(noisy)
            loss = F.mse_loss(x_hat, noisy)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(clean)
        history[epoch] = total / n
    return history''',
    ),
    StudentAnswer(
        name="ae3-denoiser-clean-input",
        assignment="ae3_denoising",
        cell="train-denoiser",
        correct=False,
        what="feeds the clean batch to the model (the noisy one is made but unused): a plain autoencoder",
        source=r'''def train_denoiser(model, x_clean, *, std, epochs, batch_size, lr, generator=None):
    """Train model to map gaussian_noise(x, std) back to x: (n, 1, 28, 28); return (epochs,) losses."""
    device = next(model.parameters()).device
    x_clean = x_clean.to(device)
    n = len(x_clean)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else device
        order = torch.randperm(n, generator=generator, device=where).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            clean = x_clean[order[start:start + batch_size]]
            noisy = gaussian_noise(clean, std, generator)
            _, x_hat = model(clean)
            loss = F.mse_loss(x_hat, clean)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(clean)
        history[epoch] = total / n
    return history''',
    ),
    StudentAnswer(
        name="ae3-denoiser-noise-no-generator",
        assignment="ae3_denoising",
        cell="train-denoiser",
        correct=False,
        what="calls gaussian_noise(clean, std) without the generator: the noise is not repeatable",
        source=r'''def train_denoiser(model, x_clean, *, std, epochs, batch_size, lr, generator=None):
    """Train model to map gaussian_noise(x, std) back to x: (n, 1, 28, 28); return (epochs,) losses."""
    device = next(model.parameters()).device
    x_clean = x_clean.to(device)
    n = len(x_clean)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else device
        order = torch.randperm(n, generator=generator, device=where).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            clean = x_clean[order[start:start + batch_size]]
            noisy = gaussian_noise(clean, std)
            _, x_hat = model(noisy)
            loss = F.mse_loss(x_hat, clean)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(clean)
        history[epoch] = total / n
    return history''',
    ),
    StudentAnswer(
        name="ae3-denoiser-item-per-batch",
        assignment="ae3_denoising",
        cell="train-denoiser",
        correct=False,
        what="adds loss.item() to a Python float every batch (a host sync per batch)",
        source=r'''def train_denoiser(model, x_clean, *, std, epochs, batch_size, lr, generator=None):
    """Train model to map gaussian_noise(x, std) back to x: (n, 1, 28, 28); return (epochs,) losses."""
    device = next(model.parameters()).device
    x_clean = x_clean.to(device)
    n = len(x_clean)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else device
        order = torch.randperm(n, generator=generator, device=where).to(device)
        total = 0.0
        for start in range(0, n, batch_size):
            clean = x_clean[order[start:start + batch_size]]
            noisy = gaussian_noise(clean, std, generator)
            _, x_hat = model(noisy)
            loss = F.mse_loss(x_hat, clean)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(clean)
        history[epoch] = total / n
    return history''',
    ),
    StudentAnswer(
        name="ae3-denoiser-mean-of-batch-means",
        assignment="ae3_denoising",
        cell="train-denoiser",
        correct=False,
        what="epoch loss = plain mean of the batch losses, whatever their sizes",
        source=r'''def train_denoiser(model, x_clean, *, std, epochs, batch_size, lr, generator=None):
    """Train model to map gaussian_noise(x, std) back to x: (n, 1, 28, 28); return (epochs,) losses."""
    device = next(model.parameters()).device
    x_clean = x_clean.to(device)
    n = len(x_clean)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else device
        order = torch.randperm(n, generator=generator, device=where).to(device)
        batch_losses = []
        for start in range(0, n, batch_size):
            clean = x_clean[order[start:start + batch_size]]
            noisy = gaussian_noise(clean, std, generator)
            _, x_hat = model(noisy)
            loss = F.mse_loss(x_hat, clean)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            batch_losses.append(loss.detach())
        history[epoch] = torch.stack(batch_losses).mean()
    return history''',
    ),
    StudentAnswer(
        name="ae3-denoiser-history-on-cpu",
        assignment="ae3_denoising",
        cell="train-denoiser",
        correct=False,
        what="history = torch.zeros(epochs): on the CPU whatever the model's device",
        source=r'''def train_denoiser(model, x_clean, *, std, epochs, batch_size, lr, generator=None):
    """Train model to map gaussian_noise(x, std) back to x: (n, 1, 28, 28); return (epochs,) losses."""
    device = next(model.parameters()).device
    x_clean = x_clean.to(device)
    n = len(x_clean)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = torch.zeros(epochs)
    for epoch in range(epochs):
        where = generator.device if generator is not None else device
        order = torch.randperm(n, generator=generator, device=where).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            clean = x_clean[order[start:start + batch_size]]
            noisy = gaussian_noise(clean, std, generator)
            _, x_hat = model(noisy)
            loss = F.mse_loss(x_hat, clean)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(clean)
        history[epoch] = total / n
    return history''',
    ),
    StudentAnswer(
        name="ae3-denoiser-moved-per-batch",
        assignment="ae3_denoising",
        cell="train-denoiser",
        correct=False,
        what="leaves x_clean on the CPU and moves each mini-batch to the device inside the loop",
        source=r'''def train_denoiser(model, x_clean, *, std, epochs, batch_size, lr, generator=None):
    """Train model to map gaussian_noise(x, std) back to x: (n, 1, 28, 28); return (epochs,) losses."""
    device = next(model.parameters()).device
    x_clean = x_clean.cpu()
    n = len(x_clean)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            clean = x_clean[order[start:start + batch_size]].to(device)
            noisy = gaussian_noise(clean, std, generator)
            _, x_hat = model(noisy)
            loss = F.mse_loss(x_hat, clean)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(clean)
        history[epoch] = total / n
    return history''',
    ),
    StudentAnswer(
        name="ae3-denoiser-generator-on-device",
        assignment="ae3_denoising",
        cell="train-denoiser",
        correct=False,
        what="torch.randperm(n, generator=generator, device=device): a CPU generator raises on a GPU",
        source=r'''def train_denoiser(model, x_clean, *, std, epochs, batch_size, lr, generator=None):
    """Train model to map gaussian_noise(x, std) back to x: (n, 1, 28, 28); return (epochs,) losses."""
    device = next(model.parameters()).device
    x_clean = x_clean.to(device)
    n = len(x_clean)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator, device=device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            clean = x_clean[order[start:start + batch_size]]
            noisy = gaussian_noise(clean, std, generator)
            _, x_hat = model(noisy)
            loss = F.mse_loss(x_hat, clean)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(clean)
        history[epoch] = total / n
    return history''',
    ),
    StudentAnswer(
        name="ae3-denoiser-library-noise",
        assignment="ae3_denoising",
        cell="train-denoiser",
        correct=False,
        what="corrupts with aeutils.noise.gaussian instead of the student's own gaussian_noise",
        source=r'''def train_denoiser(model, x_clean, *, std, epochs, batch_size, lr, generator=None):
    """Train model to map gaussian_noise(x, std) back to x: (n, 1, 28, 28); return (epochs,) losses."""
    device = next(model.parameters()).device
    x_clean = x_clean.to(device)
    n = len(x_clean)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = torch.zeros(epochs, device=device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else device
        order = torch.randperm(n, generator=generator, device=where).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            clean = x_clean[order[start:start + batch_size]]
            noisy = aeutils.noise.gaussian(clean, std, generator=generator)
            _, x_hat = model(noisy)
            loss = F.mse_loss(x_hat, clean)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(clean)
        history[epoch] = total / n
    return history''',
    ),
    # Part 8: train-denoising
    StudentAnswer(
        name="ae3-denoising-plain",
        assignment="ae3_denoising",
        cell="train-denoising",
        correct=True,
        what="8 epochs, batch 64, lr 2e-3, std 0.4; clamped output of the held-out noisy images, PSNR on the CPU",
        source=r'''aeutils.seed_everything(0)
dae = ConvDAE().to(device)
history = train_denoiser(dae, xm_train, std=0.4, epochs=8, batch_size=64, lr=2e-3,
                         generator=torch.Generator().manual_seed(0))
dae.eval()
with torch.no_grad():
    denoised = dae(x_test_noisy.to(device))[1].clamp(0, 1).cpu()
psnr_noisy = aeutils.metrics.psnr(x_test_noisy, xm_test)
psnr_denoised = aeutils.metrics.psnr(denoised, xm_test)
psnr_gain = psnr_denoised - psnr_noisy
print(f"noisy {psnr_noisy:.2f} dB -> denoised {psnr_denoised:.2f} dB: gain {psnr_gain:.2f} dB")''',
    ),
    StudentAnswer(
        name="ae3-denoising-chunks",
        assignment="ae3_denoising",
        cell="train-denoising",
        correct=True,
        what="10 epochs; denoises the held-out images in chunks of 250 on the device and compares there",
        source=r'''aeutils.seed_everything(0)
dae = ConvDAE().to(device)
losses = train_denoiser(dae, xm_train, std=0.4, epochs=10, batch_size=64, lr=2e-3)
print("epoch losses:", [f"{v:.4f}" for v in losses.tolist()])
dae.eval()
clean_dev = xm_test.to(device)
noisy_dev = x_test_noisy.to(device)
with torch.no_grad():
    outputs = torch.cat([dae(chunk)[1] for chunk in noisy_dev.split(250)])
psnr_noisy = aeutils.metrics.psnr(noisy_dev, clean_dev)
psnr_denoised = aeutils.metrics.psnr(outputs.clamp(0.0, 1.0), clean_dev)
psnr_gain = psnr_denoised - psnr_noisy
print(f"noisy {psnr_noisy:.2f} dB -> denoised {psnr_denoised:.2f} dB: gain {psnr_gain:.2f} dB")''',
    ),
    StudentAnswer(
        name="ae3-denoising-training-images",
        assignment="ae3_denoising",
        cell="train-denoising",
        correct=False,
        what="measures the PSNRs on freshly noised training images instead of the held-out ones",
        source=r'''aeutils.seed_everything(0)
dae = ConvDAE().to(device)
history = train_denoiser(dae, xm_train, std=0.4, epochs=8, batch_size=64, lr=2e-3)
train_noisy = gaussian_noise(xm_train, 0.4, torch.Generator().manual_seed(123))
dae.eval()
with torch.no_grad():
    denoised = dae(train_noisy.to(device))[1].clamp(0, 1).cpu()
psnr_noisy = aeutils.metrics.psnr(train_noisy, xm_train)
psnr_denoised = aeutils.metrics.psnr(denoised, xm_train)
psnr_gain = psnr_denoised - psnr_noisy
print(f"noisy {psnr_noisy:.2f} dB -> denoised {psnr_denoised:.2f} dB: gain {psnr_gain:.2f} dB")''',
    ),
    StudentAnswer(
        name="ae3-denoising-gain-sign",
        assignment="ae3_denoising",
        cell="train-denoising",
        correct=False,
        what="psnr_gain = noisy minus denoised: the sign is flipped",
        source=r'''aeutils.seed_everything(0)
dae = ConvDAE().to(device)
history = train_denoiser(dae, xm_train, std=0.4, epochs=8, batch_size=64, lr=2e-3,
                         generator=torch.Generator().manual_seed(0))
dae.eval()
with torch.no_grad():
    denoised = dae(x_test_noisy.to(device))[1].clamp(0, 1).cpu()
psnr_noisy = aeutils.metrics.psnr(x_test_noisy, xm_test)
psnr_denoised = aeutils.metrics.psnr(denoised, xm_test)
psnr_gain = psnr_noisy - psnr_denoised
print(f"noisy {psnr_noisy:.2f} dB -> denoised {psnr_denoised:.2f} dB: gain {psnr_gain:.2f} dB")''',
    ),
    StudentAnswer(
        name="ae3-denoising-one-epoch",
        assignment="ae3_denoising",
        cell="train-denoising",
        correct=False,
        what="a single epoch: below the 18.8 dB target",
        source=r'''aeutils.seed_everything(0)
dae = ConvDAE().to(device)
history = train_denoiser(dae, xm_train, std=0.4, epochs=1, batch_size=64, lr=2e-3,
                         generator=torch.Generator().manual_seed(0))
dae.eval()
with torch.no_grad():
    denoised = dae(x_test_noisy.to(device))[1].clamp(0, 1).cpu()
psnr_noisy = aeutils.metrics.psnr(x_test_noisy, xm_test)
psnr_denoised = aeutils.metrics.psnr(denoised, xm_test)
psnr_gain = psnr_denoised - psnr_noisy
print(f"noisy {psnr_noisy:.2f} dB -> denoised {psnr_denoised:.2f} dB: gain {psnr_gain:.2f} dB")''',
    ),
    StudentAnswer(
        name="ae3-denoising-clean-input",
        assignment="ae3_denoising",
        cell="train-denoising",
        correct=False,
        what="psnr_denoised from the model's output for the CLEAN held-out images",
        source=r'''aeutils.seed_everything(0)
dae = ConvDAE().to(device)
history = train_denoiser(dae, xm_train, std=0.4, epochs=8, batch_size=64, lr=2e-3,
                         generator=torch.Generator().manual_seed(0))
dae.eval()
with torch.no_grad():
    denoised = dae(xm_test.to(device))[1].clamp(0, 1).cpu()
psnr_noisy = aeutils.metrics.psnr(x_test_noisy, xm_test)
psnr_denoised = aeutils.metrics.psnr(denoised, xm_test)
psnr_gain = psnr_denoised - psnr_noisy
print(f"noisy {psnr_noisy:.2f} dB -> denoised {psnr_denoised:.2f} dB: gain {psnr_gain:.2f} dB")''',
    ),
    StudentAnswer(
        name="ae3-denoising-train-plus-test",
        assignment="ae3_denoising",
        cell="train-denoising",
        correct=False,
        what="trains on the training and the held-out images together",
        source=r'''aeutils.seed_everything(0)
dae = ConvDAE().to(device)
history = train_denoiser(dae, torch.cat([xm_train, xm_test]), std=0.4, epochs=8, batch_size=64, lr=2e-3,
                         generator=torch.Generator().manual_seed(0))
dae.eval()
with torch.no_grad():
    denoised = dae(x_test_noisy.to(device))[1].clamp(0, 1).cpu()
psnr_noisy = aeutils.metrics.psnr(x_test_noisy, xm_test)
psnr_denoised = aeutils.metrics.psnr(denoised, xm_test)
psnr_gain = psnr_denoised - psnr_noisy
print(f"noisy {psnr_noisy:.2f} dB -> denoised {psnr_denoised:.2f} dB: gain {psnr_gain:.2f} dB")''',
    ),
    StudentAnswer(
        name="ae3-denoising-psnr-across-devices",
        assignment="ae3_denoising",
        cell="train-denoising",
        correct=True,  # written as a wrong answer; relabelled: it is right on every device
        what="no .cpu(): psnr of the device output against the CPU images (right on a GPU too: "
             "aeutils.metrics.psnr compares x where x_hat is, as its docstring says)",
        source=r'''aeutils.seed_everything(0)
dae = ConvDAE().to(device)
history = train_denoiser(dae, xm_train, std=0.4, epochs=8, batch_size=64, lr=2e-3,
                         generator=torch.Generator().manual_seed(0))
dae.eval()
with torch.no_grad():
    denoised = dae(x_test_noisy.to(device))[1].clamp(0, 1)
psnr_noisy = aeutils.metrics.psnr(x_test_noisy, xm_test)
psnr_denoised = aeutils.metrics.psnr(denoised, xm_test)
psnr_gain = psnr_denoised - psnr_noisy
print(f"noisy {psnr_noisy:.2f} dB -> denoised {psnr_denoised:.2f} dB: gain {psnr_gain:.2f} dB")''',
    ),
    StudentAnswer(
        name="ae3-denoising-no-clamp",
        assignment="ae3_denoising",
        cell="train-denoising",
        correct=False,
        what="PSNR of the raw, unclamped output (the text asks for the clamped one)",
        source=r'''aeutils.seed_everything(0)
dae = ConvDAE().to(device)
history = train_denoiser(dae, xm_train, std=0.4, epochs=8, batch_size=64, lr=2e-3,
                         generator=torch.Generator().manual_seed(0))
dae.eval()
with torch.no_grad():
    denoised = dae(x_test_noisy.to(device))[1].cpu()
psnr_noisy = aeutils.metrics.psnr(x_test_noisy, xm_test)
psnr_denoised = aeutils.metrics.psnr(denoised, xm_test)
psnr_gain = psnr_denoised - psnr_noisy
print(f"noisy {psnr_noisy:.2f} dB -> denoised {psnr_denoised:.2f} dB: gain {psnr_gain:.2f} dB")''',
    ),
    StudentAnswer(
        name="ae3-denoising-wrong-std",
        assignment="ae3_denoising",
        cell="train-denoising",
        correct=False,
        what="trains with std=0.1 instead of 0.4 (a wrong constant)",
        source=r'''aeutils.seed_everything(0)
dae = ConvDAE().to(device)
history = train_denoiser(dae, xm_train, std=0.1, epochs=8, batch_size=64, lr=2e-3,
                         generator=torch.Generator().manual_seed(0))
dae.eval()
with torch.no_grad():
    denoised = dae(x_test_noisy.to(device))[1].clamp(0, 1).cpu()
psnr_noisy = aeutils.metrics.psnr(x_test_noisy, xm_test)
psnr_denoised = aeutils.metrics.psnr(denoised, xm_test)
psnr_gain = psnr_denoised - psnr_noisy
print(f"noisy {psnr_noisy:.2f} dB -> denoised {psnr_denoised:.2f} dB: gain {psnr_gain:.2f} dB")''',
    ),
    # ------------------------------------------------------------------ ae4_vae
    # Part 1: reparameterize
    StudentAnswer(
        name="ae4-reparam-plain",
        assignment="ae4_vae",
        cell="reparameterize",
        correct=True,
        what="std = exp(0.5 logvar), eps from normal_like(mu, generator), z = mu + std * eps",
        source=r'''def reparameterize(mu, logvar, generator=None):
    """One sample z ~ N(mu, exp(logvar)) per row, differentiable in mu and logvar."""
    std = torch.exp(0.5 * logvar)
    eps = normal_like(mu, generator)
    return mu + std * eps''',
    ),
    StudentAnswer(
        name="ae4-reparam-addcmul",
        assignment="ae4_vae",
        cell="reparameterize",
        correct=True,
        what="torch.addcmul(mu, logvar.mul(0.5).exp(), eps) in one line",
        source=r'''def reparameterize(mu, logvar, generator=None):
    """One sample z ~ N(mu, exp(logvar)) per row, differentiable in mu and logvar."""
    return torch.addcmul(mu, logvar.mul(0.5).exp(), normal_like(mu, generator=generator))''',
    ),
    StudentAnswer(
        name="ae4-reparam-eps-first",
        assignment="ae4_vae",
        cell="reparameterize",
        correct=True,
        what="draws eps first, then mu + eps * (logvar / 2).exp()",
        source=r'''def reparameterize(mu, logvar, generator=None):
    """One sample z ~ N(mu, exp(logvar)) per row, differentiable in mu and logvar."""
    eps = normal_like(mu, generator=generator)
    sigma = (logvar / 2).exp()
    z = mu + eps * sigma
    return z''',
    ),
    StudentAnswer(
        name="ae4-reparam-sigma-exp-logvar",
        assignment="ae4_vae",
        cell="reparameterize",
        correct=False,
        what="uses exp(logvar) (the variance) as the standard deviation",
        source=r'''def reparameterize(mu, logvar, generator=None):
    """One sample z ~ N(mu, exp(logvar)) per row, differentiable in mu and logvar."""
    std = torch.exp(logvar)
    return mu + std * normal_like(mu, generator)''',
    ),
    StudentAnswer(
        name="ae4-reparam-logvar-as-std",
        assignment="ae4_vae",
        cell="reparameterize",
        correct=False,
        what="multiplies eps by logvar itself",
        source=r'''def reparameterize(mu, logvar, generator=None):
    """One sample z ~ N(mu, exp(logvar)) per row, differentiable in mu and logvar."""
    return mu + logvar * normal_like(mu, generator)''',
    ),
    StudentAnswer(
        name="ae4-reparam-torch-normal",
        assignment="ae4_vae",
        cell="reparameterize",
        correct=False,
        what="torch.normal(mu, std): the right distribution, but no gradient reaches mu or logvar",
        source=r'''def reparameterize(mu, logvar, generator=None):
    """One sample z ~ N(mu, exp(logvar)) per row, differentiable in mu and logvar."""
    return torch.normal(mu, torch.exp(0.5 * logvar))''',
    ),
    StudentAnswer(
        name="ae4-reparam-global-rng",
        assignment="ae4_vae",
        cell="reparameterize",
        correct=False,
        what="eps = torch.randn_like(mu): ignores the generator",
        source=r'''def reparameterize(mu, logvar, generator=None):
    """One sample z ~ N(mu, exp(logvar)) per row, differentiable in mu and logvar."""
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)''',
    ),
    StudentAnswer(
        name="ae4-reparam-cpu-eps",
        assignment="ae4_vae",
        cell="reparameterize",
        correct=False,
        what="eps = torch.randn(mu.shape, generator=generator): made on the CPU",
        source=r'''def reparameterize(mu, logvar, generator=None):
    """One sample z ~ N(mu, exp(logvar)) per row, differentiable in mu and logvar."""
    eps = torch.randn(mu.shape, generator=generator)
    return mu + torch.exp(0.5 * logvar) * eps''',
    ),
    StudentAnswer(
        name="ae4-reparam-generator-on-device",
        assignment="ae4_vae",
        cell="reparameterize",
        correct=False,
        what="torch.randn(..., generator=generator, device=mu.device): a CPU generator raises on a GPU",
        source=r'''def reparameterize(mu, logvar, generator=None):
    """One sample z ~ N(mu, exp(logvar)) per row, differentiable in mu and logvar."""
    eps = torch.randn(mu.shape, generator=generator, device=mu.device)
    return mu + torch.exp(0.5 * logvar) * eps''',
    ),
    StudentAnswer(
        name="ae4-reparam-detached-std",
        assignment="ae4_vae",
        cell="reparameterize",
        correct=False,
        what="detaches the standard deviation: no gradient reaches logvar",
        source=r'''def reparameterize(mu, logvar, generator=None):
    """One sample z ~ N(mu, exp(logvar)) per row, differentiable in mu and logvar."""
    std = torch.exp(0.5 * logvar).detach()
    return mu + std * normal_like(mu, generator)''',
    ),
    # Part 2: gaussian-kl
    StudentAnswer(
        name="ae4-kl-plain",
        assignment="ae4_vae",
        cell="gaussian-kl",
        correct=True,
        what="0.5 * (mu^2 + exp(logvar) - 1 - logvar) summed over dim=1",
        source=r'''def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per sample, summed over latent dims: (batch,)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)''',
    ),
    StudentAnswer(
        name="ae4-kl-negative-form",
        assignment="ae4_vae",
        cell="gaussian-kl",
        correct=True,
        what="the -0.5 * sum(1 + logvar - mu^2 - exp(logvar)) form, over dim=-1",
        source=r'''def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per sample, summed over latent dims: (batch,)."""
    return -0.5 * torch.sum(1 + logvar - mu ** 2 - torch.exp(logvar), dim=-1)''',
    ),
    StudentAnswer(
        name="ae4-kl-distributions",
        assignment="ae4_vae",
        cell="gaussian-kl",
        correct=True,
        what="torch.distributions.kl_divergence of two Normals (validate_args=False), summed over latents",
        source=r'''def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per sample, summed over latent dims: (batch,)."""
    from torch.distributions import Normal, kl_divergence

    q = Normal(mu, torch.exp(0.5 * logvar), validate_args=False)
    prior = Normal(torch.zeros_like(mu), torch.ones_like(mu), validate_args=False)
    return kl_divergence(q, prior).sum(dim=1)''',
    ),
    StudentAnswer(
        name="ae4-kl-batch-axis",
        assignment="ae4_vae",
        cell="gaussian-kl",
        correct=False,
        what="sums over the batch (dim=0) instead of the latent dimensions",
        source=r'''def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per sample, summed over latent dims: (batch,)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=0)''',
    ),
    StudentAnswer(
        name="ae4-kl-mean-latent",
        assignment="ae4_vae",
        cell="gaussian-kl",
        correct=False,
        what="averages over the latent dimensions instead of summing",
        source=r'''def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per sample, summed over latent dims: (batch,)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).mean(dim=1)''',
    ),
    StudentAnswer(
        name="ae4-kl-sign-logvar",
        assignment="ae4_vae",
        cell="gaussian-kl",
        correct=False,
        what="sign error: + logvar instead of - logvar",
        source=r'''def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per sample, summed over latent dims: (batch,)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 + logvar).sum(dim=1)''',
    ),
    StudentAnswer(
        name="ae4-kl-no-half",
        assignment="ae4_vae",
        cell="gaussian-kl",
        correct=False,
        what="forgets the factor 1/2",
        source=r'''def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per sample, summed over latent dims: (batch,)."""
    return (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)''',
    ),
    StudentAnswer(
        name="ae4-kl-logvar-as-log-sigma",
        assignment="ae4_vae",
        cell="gaussian-kl",
        correct=False,
        what="reads logvar as log sigma: sigma^2 = exp(2 logvar), log sigma^2 = 2 logvar",
        source=r'''def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per sample, summed over latent dims: (batch,)."""
    return 0.5 * (mu.pow(2) + torch.exp(2 * logvar) - 1 - 2 * logvar).sum(dim=1)''',
    ),
    StudentAnswer(
        name="ae4-kl-total",
        assignment="ae4_vae",
        cell="gaussian-kl",
        correct=False,
        what="returns one number for the whole batch (.sum() over everything)",
        source=r'''def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per sample, summed over latent dims: (batch,)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum()''',
    ),
    StudentAnswer(
        name="ae4-kl-handoff",
        assignment="ae4_vae",
        cell="gaussian-kl",
        correct=False,
        what="hand-off: returns aeutils.losses.gaussian_kl(mu, logvar)",
        source=r'''def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per sample, summed over latent dims: (batch,)."""
    return aeutils.losses.gaussian_kl(mu, logvar)''',
    ),
    # Part 3: elbo
    StudentAnswer(
        name="ae4-elbo-plain",
        assignment="ae4_vae",
        cell="elbo",
        correct=True,
        what="minus BCE-with-logits (reduction none) summed per image, minus gaussian_kl",
        source=r'''def elbo(logits, x, mu, logvar):
    """One-sample ELBO per image (batch,): log p(x | z) summed over pixels minus KL(q || prior)."""
    log_px = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    log_px = log_px.reshape(len(x), -1).sum(dim=1)
    return log_px - gaussian_kl(mu, logvar)''',
    ),
    StudentAnswer(
        name="ae4-elbo-logsigmoid",
        assignment="ae4_vae",
        cell="elbo",
        correct=True,
        what="x logsigmoid(l) + (1 - x) logsigmoid(-l), flattened and summed",
        source=r'''def elbo(logits, x, mu, logvar):
    """One-sample ELBO per image (batch,): log p(x | z) summed over pixels minus KL(q || prior)."""
    ll = x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)
    return ll.flatten(start_dim=1).sum(dim=1) - gaussian_kl(mu, logvar)''',
    ),
    StudentAnswer(
        name="ae4-elbo-flatten-first",
        assignment="ae4_vae",
        cell="elbo",
        correct=True,
        what="flattens logits and x first, then BCE-with-logits summed over the last axis",
        source=r'''def elbo(logits, x, mu, logvar):
    """One-sample ELBO per image (batch,): log p(x | z) summed over pixels minus KL(q || prior)."""
    n = x.shape[0]
    rec = F.binary_cross_entropy_with_logits(logits.reshape(n, -1), x.reshape(n, -1), reduction="none").sum(-1)
    kl = gaussian_kl(mu, logvar)
    return -rec - kl''',
    ),
    StudentAnswer(
        name="ae4-elbo-mean-pixels",
        assignment="ae4_vae",
        cell="elbo",
        correct=False,
        what="averages the log-likelihood over pixels instead of summing",
        source=r'''def elbo(logits, x, mu, logvar):
    """One-sample ELBO per image (batch,): log p(x | z) summed over pixels minus KL(q || prior)."""
    log_px = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return log_px.reshape(len(x), -1).mean(dim=1) - gaussian_kl(mu, logvar)''',
    ),
    StudentAnswer(
        name="ae4-elbo-plus-kl",
        assignment="ae4_vae",
        cell="elbo",
        correct=False,
        what="sign error: adds the KL term",
        source=r'''def elbo(logits, x, mu, logvar):
    """One-sample ELBO per image (batch,): log p(x | z) summed over pixels minus KL(q || prior)."""
    log_px = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return log_px.reshape(len(x), -1).sum(dim=1) + gaussian_kl(mu, logvar)''',
    ),
    StudentAnswer(
        name="ae4-elbo-unstable-log-sigmoid",
        assignment="ae4_vae",
        cell="elbo",
        correct=False,
        what="log(sigmoid(l)) and log(1 - sigmoid(l)): -inf or NaN for large logits",
        source=r'''def elbo(logits, x, mu, logvar):
    """One-sample ELBO per image (batch,): log p(x | z) summed over pixels minus KL(q || prior)."""
    p = torch.sigmoid(logits)
    ll = x * torch.log(p) + (1 - x) * torch.log(1 - p)
    return ll.reshape(len(x), -1).sum(dim=1) - gaussian_kl(mu, logvar)''',
    ),
    StudentAnswer(
        name="ae4-elbo-default-reduction",
        assignment="ae4_vae",
        cell="elbo",
        correct=False,
        what="BCE with the default reduction: one mean number for the batch",
        source=r'''def elbo(logits, x, mu, logvar):
    """One-sample ELBO per image (batch,): log p(x | z) summed over pixels minus KL(q || prior)."""
    return -F.binary_cross_entropy_with_logits(logits, x) - gaussian_kl(mu, logvar)''',
    ),
    StudentAnswer(
        name="ae4-elbo-hardcoded-64",
        assignment="ae4_vae",
        cell="elbo",
        correct=False,
        what="reshape(-1, 64): only right for 8x8 images",
        source=r'''def elbo(logits, x, mu, logvar):
    """One-sample ELBO per image (batch,): log p(x | z) summed over pixels minus KL(q || prior)."""
    log_px = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return log_px.reshape(-1, 64).sum(dim=1) - gaussian_kl(mu, logvar)''',
    ),
    StudentAnswer(
        name="ae4-elbo-handoff",
        assignment="ae4_vae",
        cell="elbo",
        correct=False,
        what="hand-off: aeutils.losses.bernoulli_log_likelihood for the likelihood term",
        source=r'''def elbo(logits, x, mu, logvar):
    """One-sample ELBO per image (batch,): log p(x | z) summed over pixels minus KL(q || prior)."""
    return aeutils.losses.bernoulli_log_likelihood(logits, x) - gaussian_kl(mu, logvar)''',
    ),
    # Part 4: baseline
    StudentAnswer(
        name="ae4-base-plain",
        assignment="ae4_vae",
        cell="baseline",
        correct=True,
        what="per-pixel training means clamped to [eps, 1 - eps]; Bernoulli log-likelihood summed per test image",
        source=r'''def independent_pixel_loglik(x_train, x_test, eps=1e-3):
    """Log-likelihood (nats) of each test image under independent per-pixel Bernoullis fit on x_train."""
    train = x_train.reshape(len(x_train), -1)
    test = x_test.reshape(len(x_test), -1)
    p = train.mean(dim=0).clamp(eps, 1 - eps)
    return (test * torch.log(p) + (1 - test) * torch.log(1 - p)).sum(dim=1)''',
    ),
    StudentAnswer(
        name="ae4-base-matmul",
        assignment="ae4_vae",
        cell="baseline",
        correct=True,
        what="matrix-vector products: test @ log p + (1 - test) @ log1p(-p)",
        source=r'''def independent_pixel_loglik(x_train, x_test, eps=1e-3):
    """Log-likelihood (nats) of each test image under independent per-pixel Bernoullis fit on x_train."""
    p = x_train.flatten(1).mean(0).clamp(min=eps, max=1 - eps)
    t = x_test.flatten(1)
    return t @ torch.log(p) + (1 - t) @ torch.log1p(-p)''',
    ),
    StudentAnswer(
        name="ae4-base-einsum",
        assignment="ae4_vae",
        cell="baseline",
        correct=True,
        what="torch.einsum('nd,d->n', ...) for the two terms; dtype and device from the data",
        source=r'''def independent_pixel_loglik(x_train, x_test, eps=1e-3):
    """Log-likelihood (nats) of each test image under independent per-pixel Bernoullis fit on x_train."""
    n_test = x_test.shape[0]
    probs = torch.clamp(x_train.reshape(x_train.shape[0], -1).mean(dim=0), eps, 1.0 - eps)
    xt = x_test.reshape(n_test, -1)
    on = torch.einsum("nd,d->n", xt, probs.log())
    off = torch.einsum("nd,d->n", 1.0 - xt, (1.0 - probs).log())
    return on + off''',
    ),
    StudentAnswer(
        name="ae4-base-fit-on-test",
        assignment="ae4_vae",
        cell="baseline",
        correct=False,
        what="fits the pixel probabilities on the test images themselves",
        source=r'''def independent_pixel_loglik(x_train, x_test, eps=1e-3):
    """Log-likelihood (nats) of each test image under independent per-pixel Bernoullis fit on x_train."""
    test = x_test.reshape(len(x_test), -1)
    p = test.mean(dim=0).clamp(eps, 1 - eps)
    return (test * torch.log(p) + (1 - test) * torch.log(1 - p)).sum(dim=1)''',
    ),
    StudentAnswer(
        name="ae4-base-no-clamp",
        assignment="ae4_vae",
        cell="baseline",
        correct=False,
        what="no clamp: a pixel always on (or off) in training gives 0 * log 0 = NaN",
        source=r'''def independent_pixel_loglik(x_train, x_test, eps=1e-3):
    """Log-likelihood (nats) of each test image under independent per-pixel Bernoullis fit on x_train."""
    train = x_train.reshape(len(x_train), -1)
    test = x_test.reshape(len(x_test), -1)
    p = train.mean(dim=0)
    return (test * torch.log(p) + (1 - test) * torch.log(1 - p)).sum(dim=1)''',
    ),
    StudentAnswer(
        name="ae4-base-mean-pixels",
        assignment="ae4_vae",
        cell="baseline",
        correct=False,
        what="averages over the pixels instead of summing",
        source=r'''def independent_pixel_loglik(x_train, x_test, eps=1e-3):
    """Log-likelihood (nats) of each test image under independent per-pixel Bernoullis fit on x_train."""
    train = x_train.reshape(len(x_train), -1)
    test = x_test.reshape(len(x_test), -1)
    p = train.mean(dim=0).clamp(eps, 1 - eps)
    return (test * torch.log(p) + (1 - test) * torch.log(1 - p)).mean(dim=1)''',
    ),
    StudentAnswer(
        name="ae4-base-total",
        assignment="ae4_vae",
        cell="baseline",
        correct=False,
        what="returns the total over all test images, one number",
        source=r'''def independent_pixel_loglik(x_train, x_test, eps=1e-3):
    """Log-likelihood (nats) of each test image under independent per-pixel Bernoullis fit on x_train."""
    train = x_train.reshape(len(x_train), -1)
    test = x_test.reshape(len(x_test), -1)
    p = train.mean(dim=0).clamp(eps, 1 - eps)
    return (test * torch.log(p) + (1 - test) * torch.log(1 - p)).sum()''',
    ),
    StudentAnswer(
        name="ae4-base-log2",
        assignment="ae4_vae",
        cell="baseline",
        correct=False,
        what="log base 2: bits instead of nats",
        source=r'''def independent_pixel_loglik(x_train, x_test, eps=1e-3):
    """Log-likelihood (nats) of each test image under independent per-pixel Bernoullis fit on x_train."""
    train = x_train.reshape(len(x_train), -1)
    test = x_test.reshape(len(x_test), -1)
    p = train.mean(dim=0).clamp(eps, 1 - eps)
    return (test * torch.log2(p) + (1 - test) * torch.log2(1 - p)).sum(dim=1)''',
    ),
    StudentAnswer(
        name="ae4-base-fixed-eps",
        assignment="ae4_vae",
        cell="baseline",
        correct=False,
        what="clamps with a hard-coded 1e-6 instead of the eps argument",
        source=r'''def independent_pixel_loglik(x_train, x_test, eps=1e-3):
    """Log-likelihood (nats) of each test image under independent per-pixel Bernoullis fit on x_train."""
    train = x_train.reshape(len(x_train), -1)
    test = x_test.reshape(len(x_test), -1)
    p = train.mean(dim=0).clamp(1e-6, 1 - 1e-6)
    return (test * torch.log(p) + (1 - test) * torch.log(1 - p)).sum(dim=1)''',
    ),
    # Part 5a: vae-model
    StudentAnswer(
        name="ae4-vae-plain",
        assignment="ae4_vae",
        cell="vae-model",
        correct=True,
        what="two nn.Sequential MLPs; chunk(2, dim=1); reparameterize with the generator passed on",
        source=r'''class MyVAE(nn.Module):
    """x (batch, input_size) in {0, 1} -> q(z|x) = N(mu, exp(logvar)), z (batch, latent_size) -> logits."""

    def __init__(self, input_size=64, latent_size=8, hidden=128):
        super().__init__()
        self.latent_size = latent_size
        self.encoder = nn.Sequential(nn.Linear(input_size, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent_size))
        self.decoder = nn.Sequential(nn.Linear(latent_size, hidden), nn.ReLU(), nn.Linear(hidden, input_size))

    def posterior(self, x):
        """x: (batch, input_size) -> mu, logvar: (batch, latent_size) each."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def forward(self, x, generator=None):
        """x: (batch, input_size) -> logits (batch, input_size), mu, logvar (batch, latent_size)."""
        mu, logvar = self.posterior(x)
        z = reparameterize(mu, logvar, generator)
        return self.decoder(z), mu, logvar''',
    ),
    StudentAnswer(
        name="ae4-vae-slicing",
        assignment="ae4_vae",
        cell="vae-model",
        correct=True,
        what="mu and logvar by slicing the encoder output at latent_size; layers on separate lines",
        source=r'''class MyVAE(nn.Module):
    """x (batch, input_size) in {0, 1} -> q(z|x) = N(mu, exp(logvar)), z (batch, latent_size) -> logits."""

    def __init__(self, input_size=64, latent_size=8, hidden=128):
        super().__init__()
        self.latent_size = latent_size
        self.encoder = nn.Sequential(
            nn.Linear(input_size, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 2 * latent_size),
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_size, hidden),
            nn.ReLU(),
            nn.Linear(hidden, input_size),
        )

    def posterior(self, x):
        """x: (batch, input_size) -> mu, logvar: (batch, latent_size) each."""
        stats = self.encoder(x)
        mu = stats[:, :self.latent_size]
        logvar = stats[:, self.latent_size:]
        return mu, logvar

    def forward(self, x, generator=None):
        """x: (batch, input_size) -> logits (batch, input_size), mu, logvar (batch, latent_size)."""
        mu, logvar = self.posterior(x)
        z = reparameterize(mu, logvar, generator=generator)
        logits = self.decoder(z)
        return logits, mu, logvar''',
    ),
    StudentAnswer(
        name="ae4-vae-chunk-function",
        assignment="ae4_vae",
        cell="vae-model",
        correct=True,
        what="decoder defined first, torch.chunk(..., dim=-1), forward in one expression",
        source=r'''class MyVAE(nn.Module):
    """x (batch, input_size) in {0, 1} -> q(z|x) = N(mu, exp(logvar)), z (batch, latent_size) -> logits."""

    def __init__(self, input_size=64, latent_size=8, hidden=128):
        super().__init__()
        self.latent_size = latent_size
        self.decoder = nn.Sequential(nn.Linear(latent_size, hidden), nn.ReLU(inplace=True),
                                     nn.Linear(hidden, input_size))
        self.encoder = nn.Sequential(nn.Linear(input_size, hidden), nn.ReLU(inplace=True),
                                     nn.Linear(hidden, latent_size * 2))

    def posterior(self, x):
        """x: (batch, input_size) -> mu, logvar: (batch, latent_size) each."""
        return tuple(torch.chunk(self.encoder(x), 2, dim=-1))

    def forward(self, x, generator=None):
        """x: (batch, input_size) -> logits (batch, input_size), mu, logvar (batch, latent_size)."""
        mu, logvar = self.posterior(x)
        return self.decoder(reparameterize(mu, logvar, generator)), mu, logvar''',
    ),
    StudentAnswer(
        name="ae4-vae-no-generator",
        assignment="ae4_vae",
        cell="vae-model",
        correct=False,
        what="forward calls reparameterize(mu, logvar) without passing the generator on",
        source=r'''class MyVAE(nn.Module):
    """x (batch, input_size) in {0, 1} -> q(z|x) = N(mu, exp(logvar)), z (batch, latent_size) -> logits."""

    def __init__(self, input_size=64, latent_size=8, hidden=128):
        super().__init__()
        self.latent_size = latent_size
        self.encoder = nn.Sequential(nn.Linear(input_size, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent_size))
        self.decoder = nn.Sequential(nn.Linear(latent_size, hidden), nn.ReLU(), nn.Linear(hidden, input_size))

    def posterior(self, x):
        """x: (batch, input_size) -> mu, logvar: (batch, latent_size) each."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def forward(self, x, generator=None):
        """x: (batch, input_size) -> logits (batch, input_size), mu, logvar (batch, latent_size)."""
        mu, logvar = self.posterior(x)
        z = reparameterize(mu, logvar)
        return self.decoder(z), mu, logvar''',
    ),
    StudentAnswer(
        name="ae4-vae-sigmoid-output",
        assignment="ae4_vae",
        cell="vae-model",
        correct=False,
        what="the decoder ends with nn.Sigmoid: it outputs probabilities, not logits",
        source=r'''class MyVAE(nn.Module):
    """x (batch, input_size) in {0, 1} -> q(z|x) = N(mu, exp(logvar)), z (batch, latent_size) -> logits."""

    def __init__(self, input_size=64, latent_size=8, hidden=128):
        super().__init__()
        self.latent_size = latent_size
        self.encoder = nn.Sequential(nn.Linear(input_size, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent_size))
        self.decoder = nn.Sequential(nn.Linear(latent_size, hidden), nn.ReLU(), nn.Linear(hidden, input_size), nn.Sigmoid())

    def posterior(self, x):
        """x: (batch, input_size) -> mu, logvar: (batch, latent_size) each."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def forward(self, x, generator=None):
        """x: (batch, input_size) -> logits (batch, input_size), mu, logvar (batch, latent_size)."""
        mu, logvar = self.posterior(x)
        z = reparameterize(mu, logvar, generator)
        return self.decoder(z), mu, logvar''',
    ),
    StudentAnswer(
        name="ae4-vae-decodes-mean",
        assignment="ae4_vae",
        cell="vae-model",
        correct=False,
        what="decodes mu itself: no sample is drawn (a plain autoencoder)",
        source=r'''class MyVAE(nn.Module):
    """x (batch, input_size) in {0, 1} -> q(z|x) = N(mu, exp(logvar)), z (batch, latent_size) -> logits."""

    def __init__(self, input_size=64, latent_size=8, hidden=128):
        super().__init__()
        self.latent_size = latent_size
        self.encoder = nn.Sequential(nn.Linear(input_size, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent_size))
        self.decoder = nn.Sequential(nn.Linear(latent_size, hidden), nn.ReLU(), nn.Linear(hidden, input_size))

    def posterior(self, x):
        """x: (batch, input_size) -> mu, logvar: (batch, latent_size) each."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def forward(self, x, generator=None):
        """x: (batch, input_size) -> logits (batch, input_size), mu, logvar (batch, latent_size)."""
        mu, logvar = self.posterior(x)
        return self.decoder(mu), mu, logvar''',
    ),
    StudentAnswer(
        name="ae4-vae-no-decoder-relu",
        assignment="ae4_vae",
        cell="vae-model",
        correct=False,
        what="missing nonlinearity: no ReLU in the decoder",
        source=r'''class MyVAE(nn.Module):
    """x (batch, input_size) in {0, 1} -> q(z|x) = N(mu, exp(logvar)), z (batch, latent_size) -> logits."""

    def __init__(self, input_size=64, latent_size=8, hidden=128):
        super().__init__()
        self.latent_size = latent_size
        self.encoder = nn.Sequential(nn.Linear(input_size, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent_size))
        self.decoder = nn.Sequential(nn.Linear(latent_size, hidden), nn.Linear(hidden, input_size))

    def posterior(self, x):
        """x: (batch, input_size) -> mu, logvar: (batch, latent_size) each."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def forward(self, x, generator=None):
        """x: (batch, input_size) -> logits (batch, input_size), mu, logvar (batch, latent_size)."""
        mu, logvar = self.posterior(x)
        z = reparameterize(mu, logvar, generator)
        return self.decoder(z), mu, logvar''',
    ),
    StudentAnswer(
        name="ae4-vae-logvar-first",
        assignment="ae4_vae",
        cell="vae-model",
        correct=False,
        what="takes logvar from the first half of the encoder output and mu from the second",
        source=r'''class MyVAE(nn.Module):
    """x (batch, input_size) in {0, 1} -> q(z|x) = N(mu, exp(logvar)), z (batch, latent_size) -> logits."""

    def __init__(self, input_size=64, latent_size=8, hidden=128):
        super().__init__()
        self.latent_size = latent_size
        self.encoder = nn.Sequential(nn.Linear(input_size, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent_size))
        self.decoder = nn.Sequential(nn.Linear(latent_size, hidden), nn.ReLU(), nn.Linear(hidden, input_size))

    def posterior(self, x):
        """x: (batch, input_size) -> mu, logvar: (batch, latent_size) each."""
        logvar, mu = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def forward(self, x, generator=None):
        """x: (batch, input_size) -> logits (batch, input_size), mu, logvar (batch, latent_size)."""
        mu, logvar = self.posterior(x)
        z = reparameterize(mu, logvar, generator)
        return self.decoder(z), mu, logvar''',
    ),
    StudentAnswer(
        name="ae4-vae-torch-normal",
        assignment="ae4_vae",
        cell="vae-model",
        correct=False,
        what="samples z with torch.normal(mu, std) (the Part 6 experiment left in): no gradient to the encoder from the reconstruction",
        source=r'''class MyVAE(nn.Module):
    """x (batch, input_size) in {0, 1} -> q(z|x) = N(mu, exp(logvar)), z (batch, latent_size) -> logits."""

    def __init__(self, input_size=64, latent_size=8, hidden=128):
        super().__init__()
        self.latent_size = latent_size
        self.encoder = nn.Sequential(nn.Linear(input_size, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent_size))
        self.decoder = nn.Sequential(nn.Linear(latent_size, hidden), nn.ReLU(), nn.Linear(hidden, input_size))

    def posterior(self, x):
        """x: (batch, input_size) -> mu, logvar: (batch, latent_size) each."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def forward(self, x, generator=None):
        """x: (batch, input_size) -> logits (batch, input_size), mu, logvar (batch, latent_size)."""
        mu, logvar = self.posterior(x)
        z = torch.normal(mu, torch.exp(0.5 * logvar), generator=generator)
        return self.decoder(z), mu, logvar''',
    ),
    # Part 5b: iw-bound
    StudentAnswer(
        name="ae4-iw-plain",
        assignment="ae4_vae",
        cell="iw-bound",
        correct=True,
        what="eps (K, batch, latent) from normal_like on an expanded mu; log weights; logsumexp over K minus log K",
        source=r'''def iw_bound(model, x, K=50, generator=None):
    """Importance-weighted bound with K samples per image: x (batch, input_size) -> (batch,) in nats."""
    with torch.no_grad():
        mu, logvar = model.posterior(x)
        eps = normal_like(mu.expand(K, *mu.shape), generator)  # (K, batch, latent)
        z = mu + torch.exp(logvar / 2) * eps
        logits = model.decoder(z)  # (K, batch, input_size)
        log_px = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        log_pz = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_qz = (-0.5 * eps ** 2 - 0.5 * logvar - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_w = log_px + log_pz - log_qz  # (K, batch)
        return torch.logsumexp(log_w, dim=0) - math.log(K)''',
    ),
    StudentAnswer(
        name="ae4-iw-distributions",
        assignment="ae4_vae",
        cell="iw-bound",
        correct=True,
        what="log-densities from torch.distributions.Normal (validate_args=False); x flattened first",
        source=r'''def iw_bound(model, x, K=50, generator=None):
    """Importance-weighted bound with K samples per image: x (batch, input_size) -> (batch,) in nats."""
    from torch.distributions import Normal

    with torch.no_grad():
        x = x.reshape(len(x), -1)
        mu, logvar = model.posterior(x)
        std = torch.exp(0.5 * logvar)
        eps = normal_like(mu.unsqueeze(0).expand(K, -1, -1), generator=generator)
        z = mu + std * eps
        logits = model.decoder(z)
        log_lik = -F.binary_cross_entropy_with_logits(logits, x.unsqueeze(0).expand(K, -1, -1),
                                                      reduction="none").sum(dim=2)
        log_prior = Normal(torch.zeros_like(z), torch.ones_like(z), validate_args=False).log_prob(z).sum(dim=2)
        log_post = Normal(mu, std, validate_args=False).log_prob(z).sum(dim=2)
        return torch.logsumexp(log_lik + log_prior - log_post, dim=0) - math.log(K)''',
    ),
    StudentAnswer(
        name="ae4-iw-cpu-log-k",
        assignment="ae4_vae",
        cell="iw-bound",
        correct=True,
        what="log q written with (z - mu) / sigma and log sigma; subtracts torch.log(torch.tensor(K)), a CPU scalar",
        source=r'''@torch.no_grad()
def iw_bound(model, x, K=50, generator=None):
    """Importance-weighted bound with K samples per image: x (batch, input_size) -> (batch,) in nats."""
    mu, logvar = model.posterior(x)
    sigma = torch.exp(0.5 * logvar)
    eps = normal_like(mu.expand(K, -1, -1), generator)
    z = mu + sigma * eps
    log_p_x_given_z = -F.binary_cross_entropy_with_logits(model.decoder(z), x.expand(K, -1, -1),
                                                          reduction="none").sum(-1)
    half_log_2pi = 0.5 * math.log(2 * math.pi)
    log_p_z = (-0.5 * z.pow(2) - half_log_2pi).sum(-1)
    log_q_z = (-0.5 * ((z - mu) / sigma).pow(2) - torch.log(sigma) - half_log_2pi).sum(-1)
    log_weights = log_p_x_given_z + log_p_z - log_q_z
    return torch.logsumexp(log_weights, 0) - torch.log(torch.tensor(float(K)))''',
    ),
    StudentAnswer(
        name="ae4-iw-log-mean-exp",
        assignment="ae4_vae",
        cell="iw-bound",
        correct=False,
        what="log(exp(log_w).mean(0)) instead of logsumexp: underflows to -inf for likely images",
        source=r'''def iw_bound(model, x, K=50, generator=None):
    """Importance-weighted bound with K samples per image: x (batch, input_size) -> (batch,) in nats."""
    with torch.no_grad():
        mu, logvar = model.posterior(x)
        eps = normal_like(mu.expand(K, *mu.shape), generator)  # (K, batch, latent)
        z = mu + torch.exp(logvar / 2) * eps
        logits = model.decoder(z)  # (K, batch, input_size)
        log_px = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        log_pz = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_qz = (-0.5 * eps ** 2 - 0.5 * logvar - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_w = log_px + log_pz - log_qz  # (K, batch)
        return torch.log(torch.exp(log_w).mean(dim=0))''',
    ),
    StudentAnswer(
        name="ae4-iw-no-q",
        assignment="ae4_vae",
        cell="iw-bound",
        correct=False,
        what="leaves out log q(z | x): the weights are p(x | z) p(z) alone",
        source=r'''def iw_bound(model, x, K=50, generator=None):
    """Importance-weighted bound with K samples per image: x (batch, input_size) -> (batch,) in nats."""
    with torch.no_grad():
        mu, logvar = model.posterior(x)
        eps = normal_like(mu.expand(K, *mu.shape), generator)  # (K, batch, latent)
        z = mu + torch.exp(logvar / 2) * eps
        logits = model.decoder(z)  # (K, batch, input_size)
        log_px = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        log_pz = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_qz = (-0.5 * eps ** 2 - 0.5 * logvar - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_w = log_px + log_pz  # (K, batch)
        return torch.logsumexp(log_w, dim=0) - math.log(K)''',
    ),
    StudentAnswer(
        name="ae4-iw-no-log-k",
        assignment="ae4_vae",
        cell="iw-bound",
        correct=False,
        what="logsumexp over the K samples without subtracting log K (a sum, not a mean)",
        source=r'''def iw_bound(model, x, K=50, generator=None):
    """Importance-weighted bound with K samples per image: x (batch, input_size) -> (batch,) in nats."""
    with torch.no_grad():
        mu, logvar = model.posterior(x)
        eps = normal_like(mu.expand(K, *mu.shape), generator)  # (K, batch, latent)
        z = mu + torch.exp(logvar / 2) * eps
        logits = model.decoder(z)  # (K, batch, input_size)
        log_px = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        log_pz = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_qz = (-0.5 * eps ** 2 - 0.5 * logvar - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_w = log_px + log_pz - log_qz  # (K, batch)
        return torch.logsumexp(log_w, dim=0)''',
    ),
    StudentAnswer(
        name="ae4-iw-global-rng",
        assignment="ae4_vae",
        cell="iw-bound",
        correct=False,
        what="eps = torch.randn(K, *mu.shape, device=mu.device): ignores the generator",
        source=r'''def iw_bound(model, x, K=50, generator=None):
    """Importance-weighted bound with K samples per image: x (batch, input_size) -> (batch,) in nats."""
    with torch.no_grad():
        mu, logvar = model.posterior(x)
        eps = torch.randn(K, *mu.shape, device=mu.device)  # (K, batch, latent)
        z = mu + torch.exp(logvar / 2) * eps
        logits = model.decoder(z)  # (K, batch, input_size)
        log_px = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        log_pz = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_qz = (-0.5 * eps ** 2 - 0.5 * logvar - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_w = log_px + log_pz - log_qz  # (K, batch)
        return torch.logsumexp(log_w, dim=0) - math.log(K)''',
    ),
    StudentAnswer(
        name="ae4-iw-one-eps",
        assignment="ae4_vae",
        cell="iw-bound",
        correct=False,
        what="draws one eps per image and repeats it K times: K identical samples",
        source=r'''def iw_bound(model, x, K=50, generator=None):
    """Importance-weighted bound with K samples per image: x (batch, input_size) -> (batch,) in nats."""
    with torch.no_grad():
        mu, logvar = model.posterior(x)
        eps = normal_like(mu, generator).expand(K, *mu.shape)
        z = mu + torch.exp(logvar / 2) * eps
        logits = model.decoder(z)  # (K, batch, input_size)
        log_px = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        log_pz = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_qz = (-0.5 * eps ** 2 - 0.5 * logvar - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_w = log_px + log_pz - log_qz  # (K, batch)
        return torch.logsumexp(log_w, dim=0) - math.log(K)''',
    ),
    StudentAnswer(
        name="ae4-iw-q-without-logvar",
        assignment="ae4_vae",
        cell="iw-bound",
        correct=False,
        what="log q(z | x) without the -logvar/2 term",
        source=r'''def iw_bound(model, x, K=50, generator=None):
    """Importance-weighted bound with K samples per image: x (batch, input_size) -> (batch,) in nats."""
    with torch.no_grad():
        mu, logvar = model.posterior(x)
        eps = normal_like(mu.expand(K, *mu.shape), generator)  # (K, batch, latent)
        z = mu + torch.exp(logvar / 2) * eps
        logits = model.decoder(z)  # (K, batch, input_size)
        log_px = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        log_pz = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_qz = (-0.5 * eps ** 2 - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_w = log_px + log_pz - log_qz  # (K, batch)
        return torch.logsumexp(log_w, dim=0) - math.log(K)''',
    ),
    StudentAnswer(
        name="ae4-iw-mean-pixels",
        assignment="ae4_vae",
        cell="iw-bound",
        correct=False,
        what="log p(x | z) averaged over the pixels instead of summed",
        source=r'''def iw_bound(model, x, K=50, generator=None):
    """Importance-weighted bound with K samples per image: x (batch, input_size) -> (batch,) in nats."""
    with torch.no_grad():
        mu, logvar = model.posterior(x)
        eps = normal_like(mu.expand(K, *mu.shape), generator)  # (K, batch, latent)
        z = mu + torch.exp(logvar / 2) * eps
        logits = model.decoder(z)  # (K, batch, input_size)
        log_px = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").mean(-1)
        log_pz = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_qz = (-0.5 * eps ** 2 - 0.5 * logvar - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_w = log_px + log_pz - log_qz  # (K, batch)
        return torch.logsumexp(log_w, dim=0) - math.log(K)''',
    ),
    StudentAnswer(
        name="ae4-iw-wrong-axis",
        assignment="ae4_vae",
        cell="iw-bound",
        correct=False,
        what="logsumexp over the batch axis (dim=1) instead of the K samples",
        source=r'''def iw_bound(model, x, K=50, generator=None):
    """Importance-weighted bound with K samples per image: x (batch, input_size) -> (batch,) in nats."""
    with torch.no_grad():
        mu, logvar = model.posterior(x)
        eps = normal_like(mu.expand(K, *mu.shape), generator)  # (K, batch, latent)
        z = mu + torch.exp(logvar / 2) * eps
        logits = model.decoder(z)  # (K, batch, input_size)
        log_px = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        log_pz = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_qz = (-0.5 * eps ** 2 - 0.5 * logvar - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_w = log_px + log_pz - log_qz  # (K, batch)
        return torch.logsumexp(log_w, dim=1) - math.log(K)''',
    ),
    StudentAnswer(
        name="ae4-iw-cpu-eps",
        assignment="ae4_vae",
        cell="iw-bound",
        correct=False,
        what="eps = torch.randn(K, *mu.shape, generator=generator): made on the CPU",
        source=r'''def iw_bound(model, x, K=50, generator=None):
    """Importance-weighted bound with K samples per image: x (batch, input_size) -> (batch,) in nats."""
    with torch.no_grad():
        mu, logvar = model.posterior(x)
        eps = torch.randn(K, *mu.shape, generator=generator)  # (K, batch, latent)
        z = mu + torch.exp(logvar / 2) * eps
        logits = model.decoder(z)  # (K, batch, input_size)
        log_px = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        log_pz = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_qz = (-0.5 * eps ** 2 - 0.5 * logvar - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_w = log_px + log_pz - log_qz  # (K, batch)
        return torch.logsumexp(log_w, dim=0) - math.log(K)''',
    ),
    StudentAnswer(
        name="ae4-iw-no-grad-missing",
        assignment="ae4_vae",
        cell="iw-bound",
        correct=False,
        what="no torch.no_grad(): the K decoder passes keep an autograd graph and the bound requires grad",
        source=r'''def iw_bound(model, x, K=50, generator=None):
    """Importance-weighted bound with K samples per image: x (batch, input_size) -> (batch,) in nats."""
    if True:
        mu, logvar = model.posterior(x)
        eps = normal_like(mu.expand(K, *mu.shape), generator)  # (K, batch, latent)
        z = mu + torch.exp(logvar / 2) * eps
        logits = model.decoder(z)  # (K, batch, input_size)
        log_px = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        log_pz = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_qz = (-0.5 * eps ** 2 - 0.5 * logvar - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_w = log_px + log_pz - log_qz  # (K, batch)
        return torch.logsumexp(log_w, dim=0) - math.log(K)''',
    ),
    # Part 5c: train-vae
    StudentAnswer(
        name="ae4-train-plain",
        assignment="ae4_vae",
        cell="train-vae",
        correct=True,
        what="permutation drawn where the generator lives; ELBO outside autocast on float outputs; GradScaler enabled by amp_settings; synchronized timer",
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    if torch.device(device).type == "cuda":
        return torch.float16, True
    return torch.bfloat16, False


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dtype, use_scaler = amp_settings(x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(x.device.type, enabled=use_scaler)
    n = len(x)
    history = torch.zeros(epochs, device=x.device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, generator=generator, device=where).to(x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            with torch.autocast(device_type=x.device.type, dtype=dtype):
                logits, mu, logvar = model(xb)
            loss = -elbo(logits.float(), xb, mu.float(), logvar.float()).mean()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            history[epoch] += loss.detach() * len(xb)
    return history / n


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

start = time.perf_counter()
history = train_vae(model, x_train_dev, generator=torch.Generator().manual_seed(0))
if device.type == "cuda":
    torch.cuda.synchronize()
train_seconds = time.perf_counter() - start
images_per_second = len(history) * len(x_train_dev) / train_seconds

model.eval()
with torch.no_grad():
    elbos = []
    for _ in range(10):
        logits, mu, logvar = model(x_test_dev)
        elbos.append(elbo(logits, x_test_dev, mu, logvar).mean())
    vae_elbo = float(torch.stack(elbos).mean())
    iw50 = float(iw_bound(model, x_test_dev, K=50).mean())
baseline_loglik = float(independent_pixel_loglik(x_train, x_test).mean())
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
    StudentAnswer(
        name="ae4-train-split",
        assignment="ae4_vae",
        cell="train-vae",
        correct=True,
        what="isinstance check in amp_settings; perm.split; epoch totals stacked; generator only for the shuffle; cuda.synchronize(device)",
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    kind = device.type if isinstance(device, torch.device) else torch.device(device).type
    if kind == "cuda":
        return (torch.float16, True)
    return (torch.bfloat16, False)


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dtype, use_scaler = amp_settings(x.device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(x.device.type, enabled=use_scaler)
    totals = []
    for _ in range(epochs):
        if generator is None:
            order = torch.randperm(len(x), device=x.device)
        else:
            order = torch.randperm(len(x), generator=generator, device=generator.device).to(x.device)
        total = torch.zeros((), device=x.device)
        for idx in order.split(batch_size):
            batch = x[idx]
            with torch.autocast(device_type=x.device.type, dtype=dtype):
                out = model(batch)
            logits, mu, logvar = (t.float() for t in out)
            loss = -elbo(logits, batch, mu, logvar).mean()
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            total = total + loss.detach() * batch.shape[0]
        totals.append(total / len(x))
    return torch.stack(totals)


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

t0 = time.perf_counter()
history = train_vae(model, x_train_dev, epochs=40)
if device.type == "cuda":
    torch.cuda.synchronize(device)
train_seconds = time.perf_counter() - t0
images_per_second = 40 * x_train_dev.shape[0] / train_seconds

model.eval()
with torch.no_grad():
    runs = []
    for _ in range(10):
        logits, mu, logvar = model(x_test_dev)
        runs.append(elbo(logits, x_test_dev, mu, logvar).mean().item())
    vae_elbo = sum(runs) / len(runs)
    iw50 = iw_bound(model, x_test_dev, K=50).mean().item()
baseline_loglik = independent_pixel_loglik(x_train, x_test).mean().item()
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
    StudentAnswer(
        name="ae4-train-while-sum",
        assignment="ae4_vae",
        cell="train-vae",
        correct=True,
        what="dict lookup in amp_settings; a while loop; the generator also drives the model's samples; loss = summed -ELBO / batch size; an eval helper",
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    settings = {"cuda": (torch.float16, True)}
    return settings.get(torch.device(device).type, (torch.bfloat16, False))


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dtype, use_scaler = amp_settings(x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(x.device.type, enabled=use_scaler)
    n = x.shape[0]
    losses = torch.empty(epochs, device=x.device)
    for epoch in range(epochs):
        g_device = x.device if generator is None else generator.device
        perm = torch.randperm(n, generator=generator, device=g_device).to(x.device)
        epoch_total = torch.zeros((), device=x.device)
        i = 0
        while i < n:
            xb = x[perm[i:i + batch_size]]
            i += batch_size
            with torch.autocast(x.device.type, dtype=dtype):
                logits, mu, logvar = model(xb, generator)
            neg_elbo_sum = -elbo(logits.float(), xb, mu.float(), logvar.float()).sum()
            loss = neg_elbo_sum / xb.shape[0]
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            epoch_total += neg_elbo_sum.detach()
        losses[epoch] = epoch_total / n
    return losses


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

def mean_test_elbo(m, xs, calls=10):
    """Mean ELBO per image over `calls` forward passes (eval mode, no gradients)."""
    m.eval()
    with torch.no_grad():
        values = []
        for _ in range(calls):
            logits, mu, logvar = m(xs)
            values.append(elbo(logits, xs, mu, logvar).mean())
    return float(torch.stack(values).mean())


begin = time.perf_counter()
history = train_vae(model, x_train_dev, epochs=40, batch_size=128, lr=5e-3,
                    generator=torch.Generator().manual_seed(1))
if device.type == "cuda":
    torch.cuda.synchronize()
train_seconds = time.perf_counter() - begin
images_per_second = history.numel() * len(x_train_dev) / train_seconds
vae_elbo = mean_test_elbo(model, x_test_dev)
with torch.no_grad():
    iw50 = float(iw_bound(model, x_test_dev, K=50).mean())
baseline_loglik = float(independent_pixel_loglik(x_train, x_test).mean())
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
    StudentAnswer(
        name="ae4-train-str-cuda",
        assignment="ae4_vae",
        cell="train-vae",
        correct=False,
        what="amp_settings compares str(device) == 'cuda': cuda:0 gets bfloat16 and no scaler",
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    if str(device) == "cuda":
        return torch.float16, True
    return torch.bfloat16, False


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dtype, use_scaler = amp_settings(x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(x.device.type, enabled=use_scaler)
    n = len(x)
    history = torch.zeros(epochs, device=x.device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, generator=generator, device=where).to(x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            with torch.autocast(device_type=x.device.type, dtype=dtype):
                logits, mu, logvar = model(xb)
            loss = -elbo(logits.float(), xb, mu.float(), logvar.float()).mean()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            history[epoch] += loss.detach() * len(xb)
    return history / n


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

start = time.perf_counter()
history = train_vae(model, x_train_dev, generator=torch.Generator().manual_seed(0))
if device.type == "cuda":
    torch.cuda.synchronize()
train_seconds = time.perf_counter() - start
images_per_second = len(history) * len(x_train_dev) / train_seconds

model.eval()
with torch.no_grad():
    elbos = []
    for _ in range(10):
        logits, mu, logvar = model(x_test_dev)
        elbos.append(elbo(logits, x_test_dev, mu, logvar).mean())
    vae_elbo = float(torch.stack(elbos).mean())
    iw50 = float(iw_bound(model, x_test_dev, K=50).mean())
baseline_loglik = float(independent_pixel_loglik(x_train, x_test).mean())
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
    StudentAnswer(
        name="ae4-train-no-scaler",
        assignment="ae4_vae",
        cell="train-vae",
        correct=False,
        what="no GradScaler at all: float16 gradients on CUDA can underflow",
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    if torch.device(device).type == "cuda":
        return torch.float16, True
    return torch.bfloat16, False


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dtype, use_scaler = amp_settings(x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(x)
    history = torch.zeros(epochs, device=x.device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, generator=generator, device=where).to(x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            with torch.autocast(device_type=x.device.type, dtype=dtype):
                logits, mu, logvar = model(xb)
            loss = -elbo(logits.float(), xb, mu.float(), logvar.float()).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history[epoch] += loss.detach() * len(xb)
    return history / n


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

start = time.perf_counter()
history = train_vae(model, x_train_dev, generator=torch.Generator().manual_seed(0))
if device.type == "cuda":
    torch.cuda.synchronize()
train_seconds = time.perf_counter() - start
images_per_second = len(history) * len(x_train_dev) / train_seconds

model.eval()
with torch.no_grad():
    elbos = []
    for _ in range(10):
        logits, mu, logvar = model(x_test_dev)
        elbos.append(elbo(logits, x_test_dev, mu, logvar).mean())
    vae_elbo = float(torch.stack(elbos).mean())
    iw50 = float(iw_bound(model, x_test_dev, K=50).mean())
baseline_loglik = float(independent_pixel_loglik(x_train, x_test).mean())
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
    StudentAnswer(
        name="ae4-train-no-scaler-update",
        assignment="ae4_vae",
        cell="train-vae",
        correct=False,
        what="scales and steps through the scaler but never calls scaler.update()",
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    if torch.device(device).type == "cuda":
        return torch.float16, True
    return torch.bfloat16, False


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dtype, use_scaler = amp_settings(x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(x.device.type, enabled=use_scaler)
    n = len(x)
    history = torch.zeros(epochs, device=x.device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, generator=generator, device=where).to(x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            with torch.autocast(device_type=x.device.type, dtype=dtype):
                logits, mu, logvar = model(xb)
            loss = -elbo(logits.float(), xb, mu.float(), logvar.float()).mean()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            history[epoch] += loss.detach() * len(xb)
    return history / n


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

start = time.perf_counter()
history = train_vae(model, x_train_dev, generator=torch.Generator().manual_seed(0))
if device.type == "cuda":
    torch.cuda.synchronize()
train_seconds = time.perf_counter() - start
images_per_second = len(history) * len(x_train_dev) / train_seconds

model.eval()
with torch.no_grad():
    elbos = []
    for _ in range(10):
        logits, mu, logvar = model(x_test_dev)
        elbos.append(elbo(logits, x_test_dev, mu, logvar).mean())
    vae_elbo = float(torch.stack(elbos).mean())
    iw50 = float(iw_bound(model, x_test_dev, K=50).mean())
baseline_loglik = float(independent_pixel_loglik(x_train, x_test).mean())
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
    StudentAnswer(
        name="ae4-train-loss-in-autocast",
        assignment="ae4_vae",
        cell="train-vae",
        correct=False,
        what="computes the ELBO inside autocast on the low-precision outputs (no .float())",
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    if torch.device(device).type == "cuda":
        return torch.float16, True
    return torch.bfloat16, False


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dtype, use_scaler = amp_settings(x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(x.device.type, enabled=use_scaler)
    n = len(x)
    history = torch.zeros(epochs, device=x.device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, generator=generator, device=where).to(x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            with torch.autocast(device_type=x.device.type, dtype=dtype):
                logits, mu, logvar = model(xb)
                loss = -elbo(logits, xb, mu, logvar).mean()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            history[epoch] += loss.detach() * len(xb)
    return history / n


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

start = time.perf_counter()
history = train_vae(model, x_train_dev, generator=torch.Generator().manual_seed(0))
if device.type == "cuda":
    torch.cuda.synchronize()
train_seconds = time.perf_counter() - start
images_per_second = len(history) * len(x_train_dev) / train_seconds

model.eval()
with torch.no_grad():
    elbos = []
    for _ in range(10):
        logits, mu, logvar = model(x_test_dev)
        elbos.append(elbo(logits, x_test_dev, mu, logvar).mean())
    vae_elbo = float(torch.stack(elbos).mean())
    iw50 = float(iw_bound(model, x_test_dev, K=50).mean())
baseline_loglik = float(independent_pixel_loglik(x_train, x_test).mean())
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
    StudentAnswer(
        name="ae4-train-item-per-batch",
        assignment="ae4_vae",
        cell="train-vae",
        correct=False,
        what="adds loss.item() into a Python list every batch (a host sync per batch)",
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    if torch.device(device).type == "cuda":
        return torch.float16, True
    return torch.bfloat16, False


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dtype, use_scaler = amp_settings(x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(x.device.type, enabled=use_scaler)
    n = len(x)
    history = [0.0] * epochs
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, generator=generator, device=where).to(x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            with torch.autocast(device_type=x.device.type, dtype=dtype):
                logits, mu, logvar = model(xb)
            loss = -elbo(logits.float(), xb, mu.float(), logvar.float()).mean()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            history[epoch] += loss.item() * len(xb)
    return torch.tensor(history, device=x.device) / n


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

start = time.perf_counter()
history = train_vae(model, x_train_dev, generator=torch.Generator().manual_seed(0))
if device.type == "cuda":
    torch.cuda.synchronize()
train_seconds = time.perf_counter() - start
images_per_second = len(history) * len(x_train_dev) / train_seconds

model.eval()
with torch.no_grad():
    elbos = []
    for _ in range(10):
        logits, mu, logvar = model(x_test_dev)
        elbos.append(elbo(logits, x_test_dev, mu, logvar).mean())
    vae_elbo = float(torch.stack(elbos).mean())
    iw50 = float(iw_bound(model, x_test_dev, K=50).mean())
baseline_loglik = float(independent_pixel_loglik(x_train, x_test).mean())
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
    StudentAnswer(
        name="ae4-train-history-on-cpu",
        assignment="ae4_vae",
        cell="train-vae",
        correct=False,
        what="history = torch.zeros(epochs): on the CPU, not x's device",
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    if torch.device(device).type == "cuda":
        return torch.float16, True
    return torch.bfloat16, False


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dtype, use_scaler = amp_settings(x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(x.device.type, enabled=use_scaler)
    n = len(x)
    history = torch.zeros(epochs)
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, generator=generator, device=where).to(x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            with torch.autocast(device_type=x.device.type, dtype=dtype):
                logits, mu, logvar = model(xb)
            loss = -elbo(logits.float(), xb, mu.float(), logvar.float()).mean()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            history[epoch] += loss.detach() * len(xb)
    return history / n


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

start = time.perf_counter()
history = train_vae(model, x_train_dev, generator=torch.Generator().manual_seed(0))
if device.type == "cuda":
    torch.cuda.synchronize()
train_seconds = time.perf_counter() - start
images_per_second = len(history) * len(x_train_dev) / train_seconds

model.eval()
with torch.no_grad():
    elbos = []
    for _ in range(10):
        logits, mu, logvar = model(x_test_dev)
        elbos.append(elbo(logits, x_test_dev, mu, logvar).mean())
    vae_elbo = float(torch.stack(elbos).mean())
    iw50 = float(iw_bound(model, x_test_dev, K=50).mean())
baseline_loglik = float(independent_pixel_loglik(x_train, x_test).mean())
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
    StudentAnswer(
        name="ae4-train-mean-of-batch-means",
        assignment="ae4_vae",
        cell="train-vae",
        correct=False,
        what="epoch loss = plain mean of the batch losses (the last batch of 29 counts as much as 128)",
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    if torch.device(device).type == "cuda":
        return torch.float16, True
    return torch.bfloat16, False


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dtype, use_scaler = amp_settings(x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(x.device.type, enabled=use_scaler)
    n = len(x)
    history = torch.zeros(epochs, device=x.device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, generator=generator, device=where).to(x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            with torch.autocast(device_type=x.device.type, dtype=dtype):
                logits, mu, logvar = model(xb)
            loss = -elbo(logits.float(), xb, mu.float(), logvar.float()).mean()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            history[epoch] += loss.detach()
    return history / math.ceil(n / batch_size)


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

start = time.perf_counter()
history = train_vae(model, x_train_dev, generator=torch.Generator().manual_seed(0))
if device.type == "cuda":
    torch.cuda.synchronize()
train_seconds = time.perf_counter() - start
images_per_second = len(history) * len(x_train_dev) / train_seconds

model.eval()
with torch.no_grad():
    elbos = []
    for _ in range(10):
        logits, mu, logvar = model(x_test_dev)
        elbos.append(elbo(logits, x_test_dev, mu, logvar).mean())
    vae_elbo = float(torch.stack(elbos).mean())
    iw50 = float(iw_bound(model, x_test_dev, K=50).mean())
baseline_loglik = float(independent_pixel_loglik(x_train, x_test).mean())
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
    StudentAnswer(
        name="ae4-train-throughput-one-epoch",
        assignment="ae4_vae",
        cell="train-vae",
        correct=False,
        what="images_per_second divides one epoch's images by the time of all 40",
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    if torch.device(device).type == "cuda":
        return torch.float16, True
    return torch.bfloat16, False


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dtype, use_scaler = amp_settings(x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(x.device.type, enabled=use_scaler)
    n = len(x)
    history = torch.zeros(epochs, device=x.device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, generator=generator, device=where).to(x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            with torch.autocast(device_type=x.device.type, dtype=dtype):
                logits, mu, logvar = model(xb)
            loss = -elbo(logits.float(), xb, mu.float(), logvar.float()).mean()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            history[epoch] += loss.detach() * len(xb)
    return history / n


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

start = time.perf_counter()
history = train_vae(model, x_train_dev, generator=torch.Generator().manual_seed(0))
if device.type == "cuda":
    torch.cuda.synchronize()
train_seconds = time.perf_counter() - start
images_per_second = len(x_train_dev) / train_seconds

model.eval()
with torch.no_grad():
    elbos = []
    for _ in range(10):
        logits, mu, logvar = model(x_test_dev)
        elbos.append(elbo(logits, x_test_dev, mu, logvar).mean())
    vae_elbo = float(torch.stack(elbos).mean())
    iw50 = float(iw_bound(model, x_test_dev, K=50).mean())
baseline_loglik = float(independent_pixel_loglik(x_train, x_test).mean())
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
    StudentAnswer(
        name="ae4-train-timer-not-synchronized",
        assignment="ae4_vae",
        cell="train-vae",
        correct=False,
        what="stops the clock without torch.cuda.synchronize: on a GPU it times the queueing, not the work",
        survives=(
            "a CPU-only grader has nothing to synchronize, and on CUDA the GradScaler's per-step inf "
            "check already waits for the GPU, so the time differs by the last step only: no check can"
            " see it yet"
        ),
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    if torch.device(device).type == "cuda":
        return torch.float16, True
    return torch.bfloat16, False


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dtype, use_scaler = amp_settings(x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(x.device.type, enabled=use_scaler)
    n = len(x)
    history = torch.zeros(epochs, device=x.device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, generator=generator, device=where).to(x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            with torch.autocast(device_type=x.device.type, dtype=dtype):
                logits, mu, logvar = model(xb)
            loss = -elbo(logits.float(), xb, mu.float(), logvar.float()).mean()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            history[epoch] += loss.detach() * len(xb)
    return history / n


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

start = time.perf_counter()
history = train_vae(model, x_train_dev, generator=torch.Generator().manual_seed(0))
train_seconds = time.perf_counter() - start
images_per_second = len(history) * len(x_train_dev) / train_seconds

model.eval()
with torch.no_grad():
    elbos = []
    for _ in range(10):
        logits, mu, logvar = model(x_test_dev)
        elbos.append(elbo(logits, x_test_dev, mu, logvar).mean())
    vae_elbo = float(torch.stack(elbos).mean())
    iw50 = float(iw_bound(model, x_test_dev, K=50).mean())
baseline_loglik = float(independent_pixel_loglik(x_train, x_test).mean())
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
    StudentAnswer(
        name="ae4-train-elbo-on-training",
        assignment="ae4_vae",
        cell="train-vae",
        correct=False,
        what="vae_elbo and iw50 measured on the training images",
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    if torch.device(device).type == "cuda":
        return torch.float16, True
    return torch.bfloat16, False


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dtype, use_scaler = amp_settings(x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(x.device.type, enabled=use_scaler)
    n = len(x)
    history = torch.zeros(epochs, device=x.device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, generator=generator, device=where).to(x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            with torch.autocast(device_type=x.device.type, dtype=dtype):
                logits, mu, logvar = model(xb)
            loss = -elbo(logits.float(), xb, mu.float(), logvar.float()).mean()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            history[epoch] += loss.detach() * len(xb)
    return history / n


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

start = time.perf_counter()
history = train_vae(model, x_train_dev, generator=torch.Generator().manual_seed(0))
if device.type == "cuda":
    torch.cuda.synchronize()
train_seconds = time.perf_counter() - start
images_per_second = len(history) * len(x_train_dev) / train_seconds

model.eval()
with torch.no_grad():
    elbos = []
    for _ in range(10):
        logits, mu, logvar = model(x_train_dev)
        elbos.append(elbo(logits, x_train_dev, mu, logvar).mean())
    vae_elbo = float(torch.stack(elbos).mean())
    iw50 = float(iw_bound(model, x_train_dev, K=50).mean())
baseline_loglik = float(independent_pixel_loglik(x_train, x_test).mean())
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
    StudentAnswer(
        name="ae4-train-global-rng",
        assignment="ae4_vae",
        cell="train-vae",
        correct=False,
        what="ignores the generator: torch.randperm(n, device=x.device)",
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    if torch.device(device).type == "cuda":
        return torch.float16, True
    return torch.bfloat16, False


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dtype, use_scaler = amp_settings(x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(x.device.type, enabled=use_scaler)
    n = len(x)
    history = torch.zeros(epochs, device=x.device)
    for epoch in range(epochs):
        perm = torch.randperm(n, device=x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            with torch.autocast(device_type=x.device.type, dtype=dtype):
                logits, mu, logvar = model(xb)
            loss = -elbo(logits.float(), xb, mu.float(), logvar.float()).mean()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            history[epoch] += loss.detach() * len(xb)
    return history / n


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

start = time.perf_counter()
history = train_vae(model, x_train_dev, generator=torch.Generator().manual_seed(0))
if device.type == "cuda":
    torch.cuda.synchronize()
train_seconds = time.perf_counter() - start
images_per_second = len(history) * len(x_train_dev) / train_seconds

model.eval()
with torch.no_grad():
    elbos = []
    for _ in range(10):
        logits, mu, logvar = model(x_test_dev)
        elbos.append(elbo(logits, x_test_dev, mu, logvar).mean())
    vae_elbo = float(torch.stack(elbos).mean())
    iw50 = float(iw_bound(model, x_test_dev, K=50).mean())
baseline_loglik = float(independent_pixel_loglik(x_train, x_test).mean())
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
    StudentAnswer(
        name="ae4-train-cpu-generator-on-device",
        assignment="ae4_vae",
        cell="train-vae",
        correct=False,
        what="torch.randperm(len(x), device=x.device, generator=generator) as in the text: a CPU generator raises on CUDA",
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    if torch.device(device).type == "cuda":
        return torch.float16, True
    return torch.bfloat16, False


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dtype, use_scaler = amp_settings(x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(x.device.type, enabled=use_scaler)
    n = len(x)
    history = torch.zeros(epochs, device=x.device)
    for epoch in range(epochs):
        perm = torch.randperm(len(x), device=x.device, generator=generator)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            with torch.autocast(device_type=x.device.type, dtype=dtype):
                logits, mu, logvar = model(xb)
            loss = -elbo(logits.float(), xb, mu.float(), logvar.float()).mean()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            history[epoch] += loss.detach() * len(xb)
    return history / n


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

start = time.perf_counter()
history = train_vae(model, x_train_dev, generator=torch.Generator().manual_seed(0))
if device.type == "cuda":
    torch.cuda.synchronize()
train_seconds = time.perf_counter() - start
images_per_second = len(history) * len(x_train_dev) / train_seconds

model.eval()
with torch.no_grad():
    elbos = []
    for _ in range(10):
        logits, mu, logvar = model(x_test_dev)
        elbos.append(elbo(logits, x_test_dev, mu, logvar).mean())
    vae_elbo = float(torch.stack(elbos).mean())
    iw50 = float(iw_bound(model, x_test_dev, K=50).mean())
baseline_loglik = float(independent_pixel_loglik(x_train, x_test).mean())
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
    StudentAnswer(
        name="ae4-train-moved-per-batch",
        assignment="ae4_vae",
        cell="train-vae",
        correct=False,
        what="trains from the CPU copy and moves each batch to the model's device inside the loop",
        survives=(
            "the training cell passes the CPU images to a train_vae that moves each batch; on a CPU-"
            "only grader the CPU is the device, and the rerun of that cell is not simulated on a GPU "
            "(train_vae itself is right)"
        ),
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    if torch.device(device).type == "cuda":
        return torch.float16, True
    return torch.bfloat16, False


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dev = next(model.parameters()).device
    dtype, use_scaler = amp_settings(dev)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(dev.type, enabled=use_scaler)
    n = len(x)
    history = torch.zeros(epochs, device=x.device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, generator=generator, device=where).to(x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]].to(dev)
            with torch.autocast(device_type=dev.type, dtype=dtype):
                logits, mu, logvar = model(xb)
            loss = -elbo(logits.float(), xb, mu.float(), logvar.float()).mean()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            history[epoch] += loss.detach() * len(xb)
    return history / n


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

start = time.perf_counter()
history = train_vae(model, x_train.reshape(len(x_train), -1), generator=torch.Generator().manual_seed(0))
if device.type == "cuda":
    torch.cuda.synchronize()
train_seconds = time.perf_counter() - start
images_per_second = len(history) * len(x_train_dev) / train_seconds

model.eval()
with torch.no_grad():
    elbos = []
    for _ in range(10):
        logits, mu, logvar = model(x_test_dev)
        elbos.append(elbo(logits, x_test_dev, mu, logvar).mean())
    vae_elbo = float(torch.stack(elbos).mean())
    iw50 = float(iw_bound(model, x_test_dev, K=50).mean())
baseline_loglik = float(independent_pixel_loglik(x_train, x_test).mean())
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
    StudentAnswer(
        name="ae4-train-beta-left-in",
        assignment="ae4_vae",
        cell="train-vae",
        correct=False,
        what="the Part 7 experiment left in: the KL term weighted by 10 in the training loss",
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    if torch.device(device).type == "cuda":
        return torch.float16, True
    return torch.bfloat16, False


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dtype, use_scaler = amp_settings(x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(x.device.type, enabled=use_scaler)
    n = len(x)
    history = torch.zeros(epochs, device=x.device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, generator=generator, device=where).to(x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            with torch.autocast(device_type=x.device.type, dtype=dtype):
                logits, mu, logvar = model(xb)
            beta = 10.0
            loss = -elbo(logits.float(), xb, mu.float(), logvar.float()).mean() + (beta - 1) * gaussian_kl(mu.float(), logvar.float()).mean()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            history[epoch] += loss.detach() * len(xb)
    return history / n


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

start = time.perf_counter()
history = train_vae(model, x_train_dev, generator=torch.Generator().manual_seed(0))
if device.type == "cuda":
    torch.cuda.synchronize()
train_seconds = time.perf_counter() - start
images_per_second = len(history) * len(x_train_dev) / train_seconds

model.eval()
with torch.no_grad():
    elbos = []
    for _ in range(10):
        logits, mu, logvar = model(x_test_dev)
        elbos.append(elbo(logits, x_test_dev, mu, logvar).mean())
    vae_elbo = float(torch.stack(elbos).mean())
    iw50 = float(iw_bound(model, x_test_dev, K=50).mean())
baseline_loglik = float(independent_pixel_loglik(x_train, x_test).mean())
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
    StudentAnswer(
        name="ae4-train-iw-k5",
        assignment="ae4_vae",
        cell="train-vae",
        correct=False,
        what="iw50 computed with K=5 instead of K=50 (a wrong constant)",
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    if torch.device(device).type == "cuda":
        return torch.float16, True
    return torch.bfloat16, False


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dtype, use_scaler = amp_settings(x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(x.device.type, enabled=use_scaler)
    n = len(x)
    history = torch.zeros(epochs, device=x.device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, generator=generator, device=where).to(x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            with torch.autocast(device_type=x.device.type, dtype=dtype):
                logits, mu, logvar = model(xb)
            loss = -elbo(logits.float(), xb, mu.float(), logvar.float()).mean()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            history[epoch] += loss.detach() * len(xb)
    return history / n


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

start = time.perf_counter()
history = train_vae(model, x_train_dev, generator=torch.Generator().manual_seed(0))
if device.type == "cuda":
    torch.cuda.synchronize()
train_seconds = time.perf_counter() - start
images_per_second = len(history) * len(x_train_dev) / train_seconds

model.eval()
with torch.no_grad():
    elbos = []
    for _ in range(10):
        logits, mu, logvar = model(x_test_dev)
        elbos.append(elbo(logits, x_test_dev, mu, logvar).mean())
    vae_elbo = float(torch.stack(elbos).mean())
    iw50 = float(iw_bound(model, x_test_dev, K=5).mean())
baseline_loglik = float(independent_pixel_loglik(x_train, x_test).mean())
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
    StudentAnswer(
        name="ae4-train-library-elbo",
        assignment="ae4_vae",
        cell="train-vae",
        correct=False,
        what="hand-off: the loop's loss uses aeutils.losses.elbo instead of the student's elbo",
        source=r'''def amp_settings(device):
    """torch.device -> (autocast dtype, whether to use a GradScaler)."""
    if torch.device(device).type == "cuda":
        return torch.float16, True
    return torch.bfloat16, False


def train_vae(model, x, epochs=40, batch_size=128, lr=5e-3, generator=None):
    """Adam on -ELBO over shuffled mini-batches of x: (n, input_size), mixed precision; (epochs,) losses."""
    dtype, use_scaler = amp_settings(x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler(x.device.type, enabled=use_scaler)
    n = len(x)
    history = torch.zeros(epochs, device=x.device)
    for epoch in range(epochs):
        where = generator.device if generator is not None else x.device
        perm = torch.randperm(n, generator=generator, device=where).to(x.device)
        for start in range(0, n, batch_size):
            xb = x[perm[start:start + batch_size]]
            with torch.autocast(device_type=x.device.type, dtype=dtype):
                logits, mu, logvar = model(xb)
            loss = -aeutils.losses.elbo(logits.float(), xb, mu.float(), logvar.float()).mean()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            history[epoch] += loss.detach() * len(xb)
    return history / n


device = aeutils.device()
aeutils.seed_everything(0)
x_train_dev = x_train.reshape(len(x_train), -1).to(device)  # moved to the device once
x_test_dev = x_test.reshape(len(x_test), -1).to(device)
model = MyVAE().to(device)

start = time.perf_counter()
history = train_vae(model, x_train_dev, generator=torch.Generator().manual_seed(0))
if device.type == "cuda":
    torch.cuda.synchronize()
train_seconds = time.perf_counter() - start
images_per_second = len(history) * len(x_train_dev) / train_seconds

model.eval()
with torch.no_grad():
    elbos = []
    for _ in range(10):
        logits, mu, logvar = model(x_test_dev)
        elbos.append(elbo(logits, x_test_dev, mu, logvar).mean())
    vae_elbo = float(torch.stack(elbos).mean())
    iw50 = float(iw_bound(model, x_test_dev, K=50).mean())
baseline_loglik = float(independent_pixel_loglik(x_train, x_test).mean())
print(f"trained {len(history)} epochs in {train_seconds:.1f} s: {images_per_second:,.0f} images per second on {device}")
print(f"test images: ELBO {vae_elbo:.2f}, IW bound (K=50) {iw50:.2f}, independent pixels {baseline_loglik:.2f} nats")''',
    ),
]
