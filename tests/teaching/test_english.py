"""Lecture 05's English pieces: the prose filter, the neighbour-count guesser, the model's new
options, the shared recipe with its cache, hidden states and top-activating contexts."""

from __future__ import annotations

import pytest
import torch

from aeutils import data, english, masking, models


def test_prose_paragraphs_drop_code_grammar_and_headings():
    text = ("The assert statement\n********************\n\n"
            "Assert statements are a convenient way to insert debugging\n"
            "assertions into a program.\n\n"
            "   assert_stmt ::= \"assert\" expression\n\n"
            "x = f(a[0], b[1]) + {c: d}\n\n"
            "Too short here.")
    kept = data.prose_paragraphs(text)
    assert kept == ["Assert statements are a convenient way to insert debugging assertions "
                    "into a program."]
    with pytest.raises(ValueError, match="min_word_share"):
        data.prose_paragraphs(text, min_word_share=2.0)


def test_neighbour_count_guesses_pick_the_word_between_its_neighbours():
    # vocabulary: 0..3 special (2 = [MASK]); "4 5 6" and "4 7 8" are the only patterns
    train_blocks = torch.tensor([[4, 5, 6, 4, 7, 8]] * 5 + [[4, 5, 6, 4, 5, 6]])
    tokens = torch.tensor([[4, 2, 6, 4, 2, 8]])
    guesses = masking.neighbour_count_guesses(train_blocks, tokens, 9, mask_id=2, num_special=4)
    assert guesses[0, 1] == 5 and guesses[0, 4] == 7      # the right neighbour decides
    assert int(guesses.min()) >= 4                        # never a special token
    edge = masking.neighbour_count_guesses(train_blocks, torch.tensor([[2, 6]]), 9, 2, 4)
    assert edge[0, 0] == 5                                # only the right neighbour is known
    with pytest.raises(ValueError, match="smoothing"):
        masking.neighbour_count_guesses(train_blocks, tokens, 9, 2, 4, smoothing=0)


def test_masked_token_denoiser_new_options_keep_its_interface():
    model = models.MaskedTokenDenoiser(50, max_len=8, dim=16, heads=2, layers=1,
                                       neighbour_kernel=3, tie_embeddings=True)
    assert model.head.weight is model.token_embedding.weight
    tokens = torch.randint(4, 50, (3, 8))
    h, logits = model(tokens)
    assert h.shape == (3, 8, 16) and logits.shape == (3, 8, 50)
    # the convolution lets position 0 see its neighbour without any attention
    changed = tokens.clone()
    changed[:, 1] = (changed[:, 1] + 1 - 4) % 46 + 4
    model.eval()
    assert not torch.allclose(model.encode(tokens)[:, 0], model.encode(changed)[:, 0])
    with pytest.raises(ValueError, match="odd"):
        models.MaskedTokenDenoiser(50, dim=16, heads=2, neighbour_kernel=4)


def test_prose_data_holds_out_a_tenth_of_the_blocks():
    prose = english.prose_data()
    n_train, n_test = len(prose.train_blocks), len(prose.test_blocks)
    assert prose.train_blocks.shape[1] == 32 and prose.tokenizer.vocab_size == 1000
    assert n_test == (n_train + n_test) // 10 and n_train > 900


def test_trained_masked_model_is_cached_and_reloaded(tmp_path, monkeypatch):
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(english, "FIT", dict(epochs=1, batch_size=256, lr=1e-2))
    prose = english.prose_data()
    prose = english.ProseData(prose.tokenizer, prose.train_blocks[:64], prose.test_blocks[:8])
    first = english.trained_masked_model(prose, device="cpu")
    files = list(tmp_path.glob("masked_model_*.pt"))
    assert len(files) == 1 and not first.training
    second = english.trained_masked_model(prose, device="cpu")
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)
    retrained = english.trained_masked_model(prose, device="cpu", cache=False)
    for a, b in zip(first.state_dict().values(), retrained.state_dict().values()):
        assert torch.equal(a, b)                          # same seeds, same weights


def test_a_model_of_another_seed_is_cached_under_its_own_seed(tmp_path, monkeypatch):
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(english, "FIT", dict(epochs=1, batch_size=256, lr=1e-2))
    full = english.prose_data()
    prose = english.ProseData(full.tokenizer, full.train_blocks[:64], full.test_blocks[:8])
    other = english.trained_masked_model(prose, device="cpu", seed=english.SEED + 1)
    lecture = english.trained_masked_model(prose, device="cpu")   # lecture 05's seed: trained anew
    assert len(list(tmp_path.glob("masked_model_*.pt"))) == 2
    assert not torch.equal(other.head.weight, lecture.head.weight)
    again = english.trained_masked_model(prose, device="cpu", seed=english.SEED + 1)
    assert torch.equal(other.head.weight, again.head.weight)


def test_hidden_states_and_top_contexts():
    tok = data.Tokenizer(["a", "cat", "sat", "on", "the", "mat"])
    blocks = tok.encode("a cat sat on the mat").reshape(1, 6).repeat(3, 1)
    model = models.MaskedTokenDenoiser(tok.vocab_size, max_len=6, dim=8, heads=2, layers=1)
    hidden = english.hidden_states(model, blocks, batch_size=2)
    assert hidden.shape == (18, 8)
    assert torch.allclose(hidden[6:12], model.eval().encode(blocks[1:2])[0], atol=1e-5)
    activations = torch.zeros(18)
    activations[8] = 2.0                                  # block 1, token 2: "sat"
    activations[0] = 1.0                                  # block 0, token 0: "a"
    shown = english.top_contexts(activations, blocks, tok, n=5, width=1)
    assert shown == [(2.0, "cat [sat] on"), (1.0, "[a] cat")]
    with pytest.raises(ValueError, match="one per token"):
        english.top_contexts(activations[:5], blocks, tok)


def test_remember_stores_what_trained_masked_model_then_loads(tmp_path, monkeypatch):
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(english, "FIT", dict(epochs=1, batch_size=256, lr=1e-2))
    full = english.prose_data()
    prose = english.ProseData(full.tokenizer, full.train_blocks[:64], full.test_blocks[:8])
    model = english.masked_model(prose)
    with torch.no_grad():
        model.head.bias.fill_(0.5)                        # anything that training would not give
    english.remember(model, prose)
    loaded = english.trained_masked_model(prose, device="cpu")
    assert torch.equal(loaded.head.bias, model.head.bias)
