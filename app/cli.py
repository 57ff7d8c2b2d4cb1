"""`telecomgpt index build|add|remove|search`: the clause-aware index the assistant reads.

Light on purpose: torch, sentence-transformers, FAISS and bm25s are imported inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from app.expansion import expand_query
from app.indexer import remove_from_index, update_index
from app.retrieval import DEFAULT_MODE, Retriever
from telecomgpt.errors import UserError

index_app = typer.Typer(help="Build and search the clause-aware 3GPP index the assistant reads.",
                        no_args_is_help=True)

IndexOption = typer.Option(..., "--index", "-i", help="Index folder (made by `telecomgpt index build`).")


def _print_report(report) -> None:
    for path, reason in sorted(report.errors.items()):
        typer.secho(f"skipped {path}: {reason}", err=True, fg=typer.colors.YELLOW)
    typer.echo(report.summary())


@index_app.command("build")
def build(
    inputs: list[Path] = typer.Option(..., "--input", "-I", help="File or folder to index (repeatable): 3GPP "
                                      ".docx/.zip/.md, PDFs, markdown, text, code, arXiv .jsonl[.gz]."),
    output: Path = typer.Option(..., "--output", "-o", help="Index folder to create (or resume, or update)."),
    max_chars: int = typer.Option(1000, "--max-chars", min=200, max=8000,
                                  help="Longest chunk in characters; clauses longer than this are split."),
    dense: str = typer.Option("on", "--dense", help="on: BM25 + dense vectors; off: BM25 only (no embedding, "
                              "an index in seconds to minutes; searches run as BM25)."),
    embedder: Path = typer.Option(None, "--embedder",
                                  help="sentence-transformers model folder that embeds the "
                                  "chunks (e.g. from `telecomgpt train retriever`); default: the shipped "
                                  "all-MiniLM-L6-v2. Queries use the same one."),
    backend: str = typer.Option(None, "--embedder-backend",
                                help="openvino-int8 (default for a new index: int8 "
                                "OpenVINO, ~2.3x less CPU) or torch-bf16 (what older indexes used)."),
    embed_tokens: int = typer.Option(None, "--embed-tokens", min=16, max=512,
                                     help="Word pieces of each chunk "
                                     "the embedder reads (default for a new index: 128, about a third less "
                                     "CPU than the model's 256; BM25 always reads the whole chunk)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Index INPUTS into OUTPUT so that it mirrors them.

    Re-running resumes an interrupted build and only re-reads files whose content changed;
    files no longer among the inputs are dropped. Unreadable files are listed, not fatal.
    """
    if dense not in ("on", "off"):
        raise UserError(f"--dense must be on or off, not {dense!r}")
    if dense == "off" and (embedder is not None or backend is not None or embed_tokens is not None):
        raise UserError("--dense off builds a BM25-only index: it takes no --embedder, --embedder-backend "
                        "or --embed-tokens")
    report = update_index(output, inputs, prune=True, max_chars=max_chars, progress=not quiet,
                          embedder=embedder, backend=backend, dense=dense == "on", embed_tokens=embed_tokens)
    _print_report(report)


@index_app.command("add")
def add(
    paths: list[Path] = typer.Argument(..., help="Files or folders to add (a changed file replaces its "
                                                 "chunks)."),
    index: Path = IndexOption,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Add files to an existing index in place, keeping everything else (embedded by the index's own
    embedder)."""
    if not (index / "manifest.json").is_file():
        raise UserError(f"no index at {index}", hint="create one with `telecomgpt index build`")
    manifest = json.loads((index / "manifest.json").read_text())
    report = update_index(index, paths, prune=False, max_chars=manifest.get("max_chars", 1000),
                          progress=not quiet)
    _print_report(report)


@index_app.command("remove")
def remove(
    paths: list[Path] = typer.Argument(..., help="Files, or folders whose files, to remove from the index."),
    index: Path = IndexOption,
) -> None:
    """Remove files from an index in place."""
    files, chunks = remove_from_index(index, paths)
    typer.echo(f"removed {files} files ({chunks} chunks) from {index}")


@index_app.command("search")
def search(
    query: str = typer.Argument(..., help="What to look for."),
    index: Path = IndexOption,
    k: int = typer.Option(5, "-k", "--top-k", min=1, max=100, help="How many chunks to show."),
    release: int = typer.Option(None, "--release", "-r", help="Only chunks from this 3GPP release."),
    mode: str = typer.Option(DEFAULT_MODE, "--mode", help="hybrid (BM25 + dense, fused), dense or bm25."),
    as_json: bool = typer.Option(False, "--json", help="Print the hits as JSON."),
    query_encoder: str = typer.Option("on", "--query-encoder", help="on: embed the query with the index's "
                                      "trained query encoder when it has one (`train query-encoder`); off: "
                                      "with the embedder of its chunks, to compare."),
) -> None:
    """Show the chunks the assistant would read for QUERY, best first, with their citations."""
    if query_encoder not in ("on", "off"):
        raise UserError(f"--query-encoder must be on or off, not {query_encoder!r}")
    retriever = Retriever.load(index, query_encoder=query_encoder == "on")
    if retriever.note and mode != "bm25":
        typer.secho(f"note: {retriever.note}", err=True, fg=typer.colors.YELLOW)
    hits = retriever.search(query, k=k, release=release, mode=mode)
    if as_json:
        typer.echo(json.dumps({"query": query, "expanded": expand_query(query, retriever.abbreviations),
                               "hits": [hit.to_dict() for hit in hits]}, indent=1))
        return
    if not hits:
        typer.echo("no relevant chunks (the assistant would answer that it does not know)")
        return
    for rank, hit in enumerate(hits, start=1):
        meta = hit.metadata
        title = meta.get("title") or ""
        cosine = f", cosine {meta['similarity']:.3f}" if meta.get("similarity") is not None else ""
        typer.secho(f"{rank}. {hit.citation} {title}  [score {hit.score:.4f}{cosine}]", bold=True)
        typer.echo(f"   {meta.get('source')}")
        snippet = " ".join(hit.text.split())
        typer.echo(f"   {snippet[:300]}{'…' if len(snippet) > 300 else ''}")


@index_app.command("info")
def info(
    index: Path = typer.Argument(..., help="Index folder (made by `telecomgpt index build`)."),
    as_json: bool = typer.Option(False, "--json", help="Print the contents as JSON."),
) -> None:
    """List the specs, versions and releases INDEX holds (how the index was built)."""
    from app.index_store import read_built_index
    from app.releases import index_contents, releases_of

    if not (index / "manifest.json").is_file():
        raise UserError(f"no index at {index}", hint="create one with `telecomgpt index build`")
    manifest, records = read_built_index(index)
    rows = index_contents(records)
    releases = releases_of(records)
    embedder = manifest.get("embedder") if manifest.get("dense", True) else "none (BM25 only)"
    if as_json:
        typer.echo(json.dumps({"index": str(index), "chunks": len(records), "releases": releases,
                               "embedder": embedder, "documents": rows}, indent=1))
        return
    typer.echo(f"{index}: {len(records)} chunks from {len(rows)} files; releases: "
               f"{', '.join(f'Rel-{r}' for r in releases) or 'none tagged'}; embedder: {embedder}")
    for row in rows:
        name = f"{row['kind'] or 'TS'} {row['spec']}" if row["spec"] else Path(row["file"]).name
        version = f"V{row['version']}" if row["version"] else "-"
        release = f"Rel-{row['release']}" if row["release"] else "-"
        typer.echo(f"  {name:<22} {version:<10} {release:<7} {row['chunks']:>6} chunks  {row['file']}")
