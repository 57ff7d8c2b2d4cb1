"""The vectorized shingle hash gives datatrove's signature block the same shingle sets, math ignored."""

from __future__ import annotations

import gzip
import json

import numpy as np
from datatrove.pipeline.dedup.minhash import MinhashConfig

from data_pipeline.minhash import FastMinhashSignature
from data_pipeline.pipeline import RegexWordTokenizer


def test_one_hash_per_distinct_five_gram(shared_dir, tmp_path):
    block = FastMinhashSignature(str(tmp_path), MinhashConfig(), language=RegexWordTokenizer())
    with gzip.open(shared_dir / "data/corpus/arxiv/arxiv-abstracts.jsonl.gz", "rt") as handle:
        abstracts = [json.loads(line)["abstract"] for line, _ in zip(handle, range(200), strict=False)]
    for text in abstracts:
        words = RegexWordTokenizer().word_tokenize(text.lower())
        grams = {" ".join(words[i:i + 5]) for i in range(len(words) - 4)}
        shingles = block.get_shingles(text)
        assert shingles.dtype == np.uint64 and len(np.unique(shingles)) == len(grams)
        assert (shingles < (1 << 61) - 1).all()  # below datatrove's Mersenne prime
    assert block.get_shingles("too short").size == 0
    with_math = block.get_shingles("The sequence $r_{u,v}(n)$ is defined by the base sequence of length")
    without = block.get_shingles("The sequence  is defined by the base sequence of length")
    assert np.array_equal(with_math, without)


def test_signature_agreement_estimates_exact_jaccard(shared_dir, tmp_path):
    """Multiply-shift permutations: the share of equal signature values tracks the true 5-gram Jaccard."""
    block = FastMinhashSignature(str(tmp_path), MinhashConfig(num_buckets=16, hashes_per_bucket=16),
                                 language=RegexWordTokenizer())
    with gzip.open(shared_dir / "data/corpus/arxiv/arxiv-abstracts.jsonl.gz", "rt") as handle:
        abstracts = [json.loads(line)["abstract"] for line, _ in zip(handle, range(60), strict=False)]
    rng = np.random.default_rng(0)
    errors = []
    for text in abstracts:
        words = text.split()
        changed = list(words)
        for i in rng.choice(len(words), size=int(len(words) * rng.uniform(0, 0.15)), replace=False):
            changed[i] = f"w{rng.integers(10**6)}"
        a, b = block.get_shingles(text).ravel(), block.get_shingles(" ".join(changed)).ravel()
        exact = len(np.intersect1d(a, b)) / len(np.union1d(a, b))
        agreement = np.mean(np.equal(block.get_signature(a.reshape(-1, 1)),
                                     block.get_signature(b.reshape(-1, 1))))
        errors.append(agreement - exact)
    # 256 permutations: the standard error of one estimate is at most 0.031
    assert abs(np.mean(errors)) < 0.02 and np.mean(np.abs(errors)) < 0.05
    signature = block.get_signature(block.get_shingles(abstracts[0]))
    assert len(signature) == 16 and all(len(band) == 16 for band in signature)
    assert max(max(band) for band in signature) < (1 << 61)
