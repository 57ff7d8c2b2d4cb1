"""The telecom knowledge every feature shares, written once: the one home for it in the core.

The data pipeline, the assistant, the evaluation and fine-tuning all read the same 3GPP specs, benchmark
files and code corpus; when each kept its own reader they drifted (a Go function ended in different
places, one TeleQnA reader honoured TELEQNA_PASSWORD and the other did not). Here, below every feature:

- `tgpp` (with `tgpp_clauses`, `tgpp_glossary`, `tgpp_markdown`, `markdown_clean`): 3GPP file names ->
  spec/release/working group; .docx/.zip/.md -> normalized markdown -> clauses, abbreviations, definitions.
- `benchmark_files`: the benchmark archives as their authors publish them (AES zip, published password).
- `code_functions`: documented Python/Go functions, and which code files count.
- `equations`: LaTeX equations in text, and the relations worth asking about.
- `keys`: stable keys and hashes (persisted: eval item order, dataset record ids).

Like the rest of the core it imports no feature package (the `lint-imports` contract in pyproject.toml).
"""
