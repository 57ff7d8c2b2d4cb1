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
