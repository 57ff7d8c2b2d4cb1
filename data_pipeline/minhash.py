"""datatrove's MinHash signature block with a vectorized shingle hash.

datatrove normalizes text character by character in Python and hashes every 5-gram string with
sha1 or xxhash (its xxhash path passes str, which xxhash>=4 refuses). Here the text is lower-cased
and split by the pipeline's word tokenizer, each distinct word is hashed once (xxh3, cached), and the
n-gram hashes are combined with numpy as a polynomial over the word hashes.

The signature permutes shingles with multiply-add-shift hashing, `((a * x + b) mod 2^64) >> shift`
with odd `a` (Dietzfelbinger et al., 1997), instead of datatrove's `(a * x + b) mod (2^61 - 1)`: the
64-bit modulo was most of the signature time, and the shingles are already xxh3-mixed, so the cheaper
family estimates Jaccard as well (tests/data_pipeline/test_minhash.py checks it against exact Jaccard).
Signature files keep datatrove's layout, so its bucket, cluster and filter stages run unchanged.
"""

from __future__ import annotations

import numpy as np
import xxhash
from datatrove.pipeline.dedup.minhash import MinhashDedupSignature

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant (golden ratio); products wrap mod 2^64
_MASK_61 = np.uint64((1 << 61) - 1)  # keep shingles below datatrove's Mersenne prime 2^61 - 1


class FastMinhashSignature(MinhashDedupSignature):
    """MinhashDedupSignature whose get_shingles hashes words once and n-grams with numpy."""

    name = "🎯 MinHash stage 1 (vectorized shingles)"
    _word_cache_limit = 2_000_000

    def get_shingles(self, text: str) -> np.ndarray:
        # lower-casing + the word tokenizer is the normalization: datatrove's simplify_text looks at every
        # character in Python and took half of the signature time
        words = self.word_tokenizer.word_tokenize(text.lower())
        n = self.config.n_grams
        if len(words) < n:
            return np.empty((0, 1), dtype=np.uint64)
        cache = self.__dict__.setdefault("_word_hashes", {})
        if len(cache) > self._word_cache_limit:
            cache.clear()
        for word in set(words).difference(cache):
            cache[word] = xxhash.xxh3_64_intdigest(word.encode())
        ids = np.fromiter(map(cache.__getitem__, words), dtype=np.uint64, count=len(words))
        count = len(words) - n + 1
        shingles = ids[:count].copy()
        with np.errstate(over="ignore"):
            for offset in range(1, n):
                shingles = shingles * _MULTIPLIER + ids[offset:offset + count]
        return (shingles & _MASK_61).reshape((-1, 1))

    def get_signature(self, shingles: np.ndarray) -> list[list[int]]:
        if "_odd_multipliers" not in self.__dict__:
            multipliers, offsets = self.parameters
            # the top bits of a 64-bit product: 61 for 64-bit signatures (datatrove keeps them below 2^61),
            # 32 for 32-bit ones, so the values fit the signature files' struct format
            kept_bits = 32 if self.config.hash_config.precision == 32 else 61
            self._odd_multipliers = (multipliers | np.uint64(1), offsets, np.uint64(64 - kept_bits))
        multipliers, offsets, shift = self._odd_multipliers
        with np.errstate(over="ignore"):
            permuted = (shingles * multipliers + offsets) >> shift
        return permuted.min(axis=0).reshape(self.config.num_buckets, -1).tolist()
