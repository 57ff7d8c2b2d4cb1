"""The TelecomGPT corpus pipeline as datatrove stages, run by a local or Ray executor.

    1 clean      read → 3GPP boilerplate clauses → line rules → English → decontaminate → write;
                 exact-dedup signatures of what was written
    2 exact      find exact duplicates (one task)
    3 dedup_sig  drop exact duplicates → write; MinHash signatures
    4 buckets    MinHash LSH buckets (one task per band)
    5 cluster    MinHash clusters (one task)
    6 final      drop near-duplicates → train/validation split → DIR/data/{train,validation}/

Every dropped document lands in DIR/excluded/<stage>/<reason>/, every broken file in DIR/errors/.
Each stage logs under DIR/logs/<stage>/ with datatrove's per-rank completion markers, so running the
same command again after a crash resumes: completed ranks are skipped, incomplete ones redone.
"""

from __future__ import annotations

import re
from pathlib import Path

from datatrove.pipeline.dedup.exact_dedup import (
    ExactDedupConfig,
    ExactDedupFilter,
    ExactDedupSignature,
    ExactFindDedups,
)
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers.jsonl import JsonlWriter
from datatrove.utils.hashing import HashConfig
from datatrove.utils.word_tokenizers import WordTokenizer

from data_pipeline.config import PipelineConfig
from data_pipeline.filters import BoilerplateClauseFilter, DecontaminationFilter, EnglishFilter, SplitTagger
from data_pipeline.line_rules import TelecomLineFilter
from data_pipeline.minhash import FastMinhashSignature
from data_pipeline.reader import CorpusReader

_WORDS = re.compile(r"\w+")
# LaTeX math: the Release-18 .docx keeps formulas, the Release-19 .md lost them; dedup compares the words
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]*\$", re.S)
STAGES = ("clean", "exact", "dedup_sig", "buckets", "cluster", "final")


class RegexWordTokenizer(WordTokenizer):
    """Unicode word tokens for MinHash shingles, LaTeX math left out. datatrove's English tokenizer
    needs spaCy; a regex is enough for shingling and much faster."""

    def word_tokenize(self, text: str) -> list[str]:
        return _WORDS.findall(_MATH.sub(" ", text))

    def sent_tokenize(self, text: str) -> list[str]:
        return [line for line in text.split("\n") if line.strip()]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return [match.span() for match in _WORDS.finditer(text)]


def normalized_content(doc) -> bytes:
    """What exact dedup compares: lower-cased words, so whitespace/punctuation variants collide."""
    return " ".join(_WORDS.findall(_MATH.sub(" ", doc.text.lower()))).encode()


# datatrove picks the hash function from the getter's return annotation, which must be the type itself
# (under `from __future__ import annotations` it is the string "bytes"). Bytes, because xxhash>=4 no
# longer hashes str, which datatrove's xxhash path passes.
normalized_content.__annotations__["return"] = bytes


def _excluded(out: Path, stage: str) -> JsonlWriter:
    return JsonlWriter(str(out / "excluded" / stage), output_filename="${filter_reason}/${rank}.jsonl.gz")


def build_stages(config: PipelineConfig, inputs: list[str], out: Path, benchmarks: list[str]) -> list[tuple]:
    """[(stage name, pipeline blocks, tasks)] for the executor to run in order."""
    work, tasks = out / "work", config.tasks
    exact_config = ExactDedupConfig(content_getter=normalized_content)
    # hash_config only sizes the signature (64-bit); shingles are hashed by FastMinhashSignature
    minhash_config = MinhashConfig(n_grams=config.minhash.n_grams, num_buckets=config.minhash.buckets,
                                   hashes_per_bucket=config.minhash.rows,
                                   hash_config=HashConfig(precision=64, hash_fc="sha1"))
    clean = [
        CorpusReader(inputs, str(out / "errors"), str(out / "excluded" / "read"), config.clause_mode,
                     config.max_code_bytes, config.max_line_bytes),
        BoilerplateClauseFilter(exclusion_writer=_excluded(out, "boilerplate")),
        TelecomLineFilter(config.line_rules, config.min_chars, exclusion_writer=_excluded(out, "line_rules")),
    ]
    if config.english_only:
        clean.append(EnglishFilter(config.language_threshold, exclusion_writer=_excluded(out, "language")))
    if benchmarks:
        clean.append(DecontaminationFilter(benchmarks, config.decontamination_ngram,
                                           exclusion_writer=_excluded(out, "decontamination")))
    clean.append(JsonlWriter(str(work / "clean"), output_filename="${rank}.jsonl.gz"))
    stages = []
    current = work / "clean"
    if config.exact_dedup:
        clean.append(ExactDedupSignature(str(work / "exact_sigs"), config=exact_config))
        stages += [("clean", clean, tasks),
                   ("exact", [ExactFindDedups(str(work / "exact_sigs"), str(work / "exact_dups"),
                                              exact_config)], 1)]
        dedup_sig = [RankJsonlReader(str(current), add_file_path=False),
                     ExactDedupFilter(str(work / "exact_dups"), exact_config,
                                      exclusion_writer=_excluded_fixed(out, "exact_dedup", "duplicate")),
                     JsonlWriter(str(work / "exact"), output_filename="${rank}.jsonl.gz")]
        current = work / "exact"
    else:
        stages.append(("clean", clean, tasks))
        dedup_sig = []
    final = [RankJsonlReader(str(current), add_file_path=False)]
    if config.minhash.enabled:
        tokenizer = RegexWordTokenizer()
        dedup_sig.append(FastMinhashSignature(str(work / "minhash_sigs"), minhash_config, language=tokenizer))
        stages += [("dedup_sig", dedup_sig, tasks),
                   ("buckets", [MinhashDedupBuckets(str(work / "minhash_sigs"), str(work / "minhash_buckets"),
                                                    config=minhash_config)], config.minhash.buckets),
                   ("cluster",
                    [MinhashDedupCluster(str(work / "minhash_buckets"), str(work / "minhash_remove"),
                                         config=minhash_config)], 1)]
        final.append(MinhashDedupFilter(str(work / "minhash_remove"),
                                        exclusion_writer=_excluded_fixed(out, "minhash", "near_duplicate")))
    elif dedup_sig:
        stages.append(("dedup_sig", dedup_sig, tasks))
    final += [SplitTagger(config.validation_fraction, config.split_seed),
              JsonlWriter(str(out / "data"), output_filename="${split}/${rank}.jsonl.gz")]
    stages.append(("final", final, tasks))
    return stages


def _excluded_fixed(out: Path, stage: str, reason: str) -> JsonlWriter:
    # the dedup filters write without a reason tag: the folder carries the reason
    return JsonlWriter(str(out / "excluded" / stage / reason), output_filename="${rank}.jsonl.gz")


class RankJsonlReader(JsonlReader):
    """Read exactly this rank's file of the previous stage. Dedup signatures and removal lists are
    indexed by (rank, position), so rank r must see rank r's documents in the same order even when
    another rank wrote no file at all (JsonlReader would shift the files between ranks)."""

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        name = f"{rank:05d}.jsonl.gz"
        if self.data_folder.exists(name):
            for doc in self.read_file(name):
                self.update_doc_stats(doc)
                yield doc
