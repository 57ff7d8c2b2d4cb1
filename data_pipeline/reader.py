"""The pipeline's first block: every input file → Documents, broken files → errors/, skipped ones → excluded/.

Units (files) are sharded by rank as `units[rank::world_size]` over a sorted list, so any executor
gives each rank the same files. A file that cannot be read never stops the run: its reason goes to
`errors/<rank>.jsonl` and the next file is read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from datatrove.data import Document, DocumentsPipeline
from datatrove.io import get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.writers.jsonl import JsonlWriter

from data_pipeline.readers.arxiv import read_arxiv_jsonl, read_latex, read_pdf
from data_pipeline.readers.code import read_code
from data_pipeline.readers.stackexchange import read_posts
from data_pipeline.readers.tgpp import Skip, read_3gpp
from data_pipeline.sources import Unit, discover
from telecomgpt.domain.tgpp import SpecFileError

TEXT_KINDS = {"3gpp", "arxiv_jsonl", "latex", "markdown", "stackexchange"}


def check_line_lengths(path: str, max_line_bytes: int) -> None:
    """Refuse text files with a line longer than `max_line_bytes` (a 100 MB one-line file would stall
    every line-based rule) without reading the whole file into memory."""
    if path.endswith((".gz", ".docx", ".zip", ".pdf", ".tgz")):
        return
    run = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            newline = chunk.rfind(b"\n")
            run = len(chunk) - newline - 1 if newline >= 0 else run + len(chunk)
            longest_inside = max((len(part) for part in chunk.split(b"\n")[1:-1]), default=0)
            if run > max_line_bytes or longest_inside > max_line_bytes:
                raise SpecFileError(f"a line longer than {max_line_bytes >> 20} MB "
                                    "(not line-structured text)")


class CorpusReader(PipelineStep):
    """Read 3GPP, arXiv, code and StackExchange inputs (see data_pipeline.sources for the detection)."""

    name = "📚 TelecomGPT corpus reader"
    type = "📖 - READER"

    def __init__(self, inputs: list[str], errors_folder: str, excluded_folder: str,
                 clause_mode: str = "clause", max_code_bytes: int = 1_000_000, max_line_bytes: int = 8 << 20):
        super().__init__()
        self.inputs = [str(path) for path in inputs]
        self.errors_folder = errors_folder
        self.excluded_folder = excluded_folder
        self.clause_mode = clause_mode
        self.max_code_bytes = max_code_bytes
        self.max_line_bytes = max_line_bytes

    def documents(self, unit: Unit) -> Iterator[Document]:
        if unit.kind in TEXT_KINDS:
            check_line_lengths(unit.path, self.max_line_bytes)
        if unit.kind == "3gpp":
            yield from read_3gpp(unit.path, self.clause_mode)
        elif unit.kind == "arxiv_jsonl":
            yield from read_arxiv_jsonl(unit.path)
        elif unit.kind == "latex":
            yield read_latex(unit.path)
        elif unit.kind == "pdf":
            yield read_pdf(unit.path)
        elif unit.kind == "stackexchange":
            yield from read_posts(unit.path)
        elif unit.kind == "code":
            yield read_code(unit.path, unit.repo, self.max_code_bytes)
        else:
            raise Skip("unsupported_file_type")

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        units = discover(self.inputs)[rank::world_size]
        excluded = JsonlWriter(self.excluded_folder, output_filename="${filter_reason}/${rank}.jsonl.gz")
        errors_folder = get_datafolder(self.errors_folder)
        with excluded, errors_folder.open(f"{rank:05d}.jsonl", "wt") as errors:
            for unit in units:
                self.stat_update("files")
                try:
                    # materialize per file: a file fails as a whole or yields all of its documents
                    with self.track_time():
                        docs = list(self.documents(unit))
                except Skip as skip:
                    self.stat_update(f"skipped_{skip}")
                    doc = Document(text="", id=unit.path, metadata={"source": unit.kind, "path": unit.path})
                    doc.metadata["filter_reason"] = str(skip)
                    excluded.write(doc, rank)
                    continue
                except (SpecFileError, ValueError, OSError) as exc:
                    self.stat_update("errors")
                    errors.write(json.dumps({"path": unit.path, "source": unit.kind,
                                             "reason": str(exc)}) + "\n")
                    continue
                for doc in docs:
                    self.stat_update("documents")
                    self.update_doc_stats(doc)
                    yield doc
