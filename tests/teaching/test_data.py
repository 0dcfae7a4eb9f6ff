import numpy as np
import pytest
import torch

from aeutils import data


def _check_images(x, y, n, side):
    assert x.shape == (n, 1, side, side) and x.dtype == torch.float32
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0 and float(x.max()) > 0.9
    assert y.shape == (n,) and y.dtype == torch.int64 and set(y.tolist()) == set(range(10))


def test_load_digits(digits):
    _check_images(*digits, 1797, 8)


def test_load_mnist_embedded_is_500_per_class_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("AEUTILS_CACHE", str(tmp_path))
    x, y = data.load_mnist()
    _check_images(x, y, 5000, 28)
    assert torch.bincount(y).tolist() == [500] * 10
    cache = tmp_path / "mnist5k.npz"
    assert cache.exists()
    x2, y2 = data.load_mnist()
    assert torch.equal(x, x2) and torch.equal(y, y2)
    cache.write_bytes(b"garbage")  # a broken cache is rebuilt, not trusted
    x3, _ = data.load_mnist()
    assert torch.equal(x, x3)


def test_idx_round_trip_and_full_mnist_from_local_files(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 12).astype(np.uint8)
    data.write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    data.write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels)
    assert np.array_equal(data.read_idx(tmp_path / "t10k-images-idx3-ubyte.gz"), images)
    x, y = data.load_mnist("mnist", split="test", root=tmp_path, download=False)
    assert x.shape == (12, 1, 28, 28) and x.dtype == torch.float32
    assert torch.allclose(x[:, 0] * 255, torch.as_tensor(images, dtype=torch.float32))
    assert y.tolist() == labels.tolist()


def test_read_idx_rejects_other_files(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02\x03\x04rest")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(bad)


def test_missing_full_mnist_names_the_embedded_alternative(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"load_mnist\(\)"):
        data.load_mnist("fashion", root=tmp_path, download=False)


def test_failed_download_names_the_embedded_alternative(tmp_path):
    # port 9 on loopback refuses at once: the offline case, without touching the network
    with pytest.raises(FileNotFoundError, match="downloading .* failed.*embedded"):
        data.load_mnist("mnist", root=tmp_path, mirror="http://127.0.0.1:9/")


def test_unknown_names_are_rejected():
    with pytest.raises(ValueError, match="unknown MNIST source"):
        data.load_mnist("cifar")
    with pytest.raises(ValueError, match="split"):
        data.load_mnist("mnist", split="validation")
    with pytest.raises(ValueError, match="unknown data set 'imagenet'"):
        data.load_images("imagenet")
    with pytest.raises(ValueError, match="unknown natural image"):
        data.natural_images(("brain",))


def test_load_images_by_name(digits):
    x, y = data.load_images("digits")
    assert torch.equal(x, digits[0])


def test_train_test_split_is_stratified_and_disjoint(digits):
    x, y = digits
    ids = torch.arange(len(y))  # "images" that name themselves: where each one went is visible
    id_tr, id_te, y_tr, y_te = data.train_test_split(ids, y, test_fraction=0.25, seed=1)
    assert sorted(torch.cat([id_tr, id_te]).tolist()) == list(range(len(y)))  # each one, once
    assert torch.equal(y_tr, y[id_tr]) and torch.equal(y_te, y[id_te])  # labels stay with them
    assert abs(len(id_te) - 0.25 * len(y)) <= 1
    counts = torch.bincount(y_te, minlength=10).float() / torch.bincount(y, minlength=10).float()
    assert float(counts.min()) > 0.2 and float(counts.max()) < 0.3
    xtr, xte, ytr, yte = data.train_test_split(x, y, test_fraction=0.25, seed=1)  # images, too
    assert torch.equal(xtr, x[id_tr]) and torch.equal(xte, x[id_te])
    assert torch.equal(ytr, y_tr) and torch.equal(yte, y_te)
    assert torch.equal(data.train_test_split(ids, y, 0.25, seed=1)[1], id_te)  # repeatable
    assert not torch.equal(data.train_test_split(ids, y, 0.25, seed=2)[1], id_te)
    with pytest.raises(ValueError, match="differ in length"):
        data.train_test_split(x, y[:-1])


def test_natural_patches_raw_and_whitened():
    raw = data.natural_patches(2000, size=8, seed=0)
    assert raw.shape == (2000, 1, 8, 8) and raw.dtype == torch.float32
    assert float(raw.min()) >= 0.0 and float(raw.max()) <= 1.0
    assert torch.equal(raw, data.natural_patches(2000, size=8, seed=0))
    def max_correlation(patches):
        corr = torch.corrcoef(patches.reshape(len(patches), -1).double().T)
        return float((corr - torch.eye(len(corr), dtype=corr.dtype)).abs().max())

    raw = data.natural_patches(5000, size=8, seed=0)
    # neighbouring pixels of photographs are strongly correlated; whitening removes most of it
    assert max_correlation(raw) > 0.8
    assert max_correlation(data.natural_patches(5000, size=8, whiten=True, seed=0)) < 0.3
    strong = data.natural_patches(5000, size=8, whiten=True, seed=0, epsilon=1e-3)
    assert max_correlation(strong) < 0.05
    assert float(strong.reshape(5000, 64).mean(dim=1).abs().max()) < 1e-4  # patch means removed
    with pytest.raises(ValueError):
        data.natural_patches(0)


def test_text_corpus_and_word_tokenizer():
    text = data.text_corpus()
    assert len(text) > 400_000 and "the" in text
    tok = data.Tokenizer.fit(text, level="word", max_vocab=2000)
    assert tok.vocab_size == 2000 and tok.itos[: tok.num_special] == list(data.Tokenizer.SPECIALS)
    ids = tok.encode("The loop returns a value.")
    assert ids.dtype == torch.int64 and int(ids.min()) >= tok.num_special
    assert tok.decode(ids) == "the loop returns a value ."
    assert tok.encode("zzqxv")[0] == tok.UNK


def test_char_tokenizer_and_blocks():
    tok = data.Tokenizer.fit("hello world", level="char", max_vocab=100, lowercase=False)
    assert tok.decode(tok.encode("hello")) == "hello"
    blocks = data.token_blocks(torch.arange(10), 4)
    assert blocks.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]
    with pytest.raises(ValueError):
        data.token_blocks(torch.arange(3), 4)
    with pytest.raises(ValueError, match="level"):
        data.Tokenizer([], level="byte")
