"""Index speed: the embedding paths `index build` has used, side by side on the same chunks, with recall.

    .venv/bin/python bench/index_speed.py [--corpus DIR ...] [--chunks 2000] [--print-only]
    .venv/bin/python bench/index_speed.py --full      # time `index build` of the whole shared corpus

Reads files of the corpus (default: ../shared/data/corpus/3gpp, in a fixed shuffled order) until --chunks
chunks are read (the last file cut there; --chunks 0: every file), then embeds those chunks with each path:
  - torch bfloat16 (sentence-transformers), one `encode` per file: what `index build` did first (49 min);
  - torch bfloat16, chunks of many files embedded together in length-sorted batches (the batching alone);
  - openvino-int8 (OpenVINO, NNCF static int8), all 256 word pieces, one request at a time on all cores;
  - openvino-int8, the first 128 word pieces, one request at a time (the previous default);
  - openvino-int8, 128 word pieces, throughput streams side by side (today's default,
    `app.embedder.Embedder._embed_bulk`).
For each: wall chunks/s, CPU seconds per 1,000 chunks (steadier than wall time when the machine is shared),
cosine of its vectors to the first path's (min and mean), and dense recall on clause-title queries: the title
of up to 200 clauses of the subset (labels from the specs' own headings, not benchmark data), recall@5 of the
clause among exact inner-product top-5, and the overlap of each path's top-10 with the first path's top-10.
The end-to-end time of `index build` (`update_index` with its defaults) and of a BM25-only build (`--dense
off`) on the same files is measured too, and extrapolated to the whole corpus (--corpus-chunks).

--full instead times `update_index` with its defaults over every file of --corpus (default: the whole
../shared/data/corpus) into a fresh folder: the issue's target, measured, not extrapolated. Run it on a quiet
machine; the .docx conversions of earlier builds are cached (pandoc is not timed again).
Results go to docs/benchmarks.md (section `index_speed`, or `index_full` with --full) unless --print-only.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.embedder import DEFAULT_EMBED_TOKENS, cpu_threads, get_embedder
from app.index_store import document_text, source_key
from app.indexer import BATCH_CHUNKS, update_index
from app.readers import iter_files, read_file
from bench.report import BENCHMARKS_MD, machine_line, write_section  # noqa: E402
from telecomgpt import paths

FULL_CORPUS_CHUNKS = 100_000
"""Chunks of the whole ../shared/data/corpus (the 49-minute build; see app.index_store.EXACT_SEARCH_LIMIT)."""
QUERIES = 200


def read_subset(corpus: list[Path], chunks: int) -> tuple[list[Path], list[list[dict]], float]:
    """(files, their chunk records, seconds spent reading): files in a fixed shuffled order until `chunks`."""
    files = iter_files(corpus)
    random.Random(0).shuffle(files)
    chosen, per_file, total, started = [], [], 0, time.monotonic()
    for path in files:
        if chunks and total >= chunks:
            break
        try:
            read, _ = read_file(path)
        except Exception:  # noqa: BLE001 (unreadable files are the indexer's business, not this bench's)
            continue
        if not read:
            continue
        records = [dict(c.metadata(), text=c.text, source=source_key(path)) for c in read]
        if chunks:
            records = records[:chunks - total]  # exactly `chunks`: one big spec holds thousands
        chosen.append(path)
        per_file.append(records)
        total += len(records)
    return chosen, per_file, time.monotonic() - started


def timed(fn):
    """(result, wall seconds, CPU seconds of this process, all threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def title_queries(records: list[dict], limit: int) -> list[tuple[str, set[int]]]:
    """(clause title, rows of that clause) for up to `limit` clauses with a title of 3+ words."""
    by_clause: dict[tuple, list[int]] = {}
    titles: dict[tuple, str] = {}
    for row, record in enumerate(records):
        title = (record.get("title") or "").strip()
        if record.get("clause") and len(title.split()) >= 3:
            key = (record["source"], record["clause"])
            by_clause.setdefault(key, []).append(row)
            titles[key] = title
    keys = sorted(by_clause)
    random.Random(1).shuffle(keys)
    return [(titles[k], set(by_clause[k])) for k in keys[:limit]]


def dense_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    scores = queries @ vectors.T
    return np.argsort(-scores, axis=1)[:, :k]


def run_path(label: str, embedder, per_file_texts: list[list[str]], queries, streams: bool,
             cross_file: bool = True) -> dict:
    """Embed every chunk (per file, or across files in `index build`'s batches) and the queries with one
    embedder; `streams`: OpenVINO throughput streams for bulk embedding (`Embedder.bulk_streams`)."""
    def embed_all() -> np.ndarray:
        if not cross_file:
            return np.concatenate([embedder.embed(texts) for texts in per_file_texts])
        flat = [t for texts in per_file_texts for t in texts]
        return np.concatenate([embedder.embed(flat[i:i + BATCH_CHUNKS]) for i in range(0, len(flat),
                                                                                       BATCH_CHUNKS)])

    embedder.bulk_streams, before = streams, embedder.bulk_streams
    try:
        embedder.embed(["warm-up"] * 4)  # first-call costs (thread pools, allocator) are not indexing speed
        vectors, wall, cpu = timed(embed_all)
    finally:
        embedder.bulk_streams = before
    query_vectors = np.concatenate([embedder.embed_query(q) for q, _ in queries]) if queries else None
    print(f"{label}: {len(vectors) / wall:.1f} chunks/s wall, {cpu / len(vectors) * 1000:.1f} CPU s / 1k "
          "chunks",
          flush=True)
    return {"label": label, "vectors": vectors, "queries": query_vectors, "wall": wall, "cpu": cpu}


def full_build(corpus: list[Path], note: str) -> str:
    """`index build` of every file under `corpus` into a fresh folder, timed; the report section."""
    files = iter_files(corpus)
    work = Path(tempfile.mkdtemp(prefix="index-full-"))
    try:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        report, wall, cpu = timed(lambda: update_index(work, files, prune=True, progress=True))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        child_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
        size = sum(f.stat().st_size for f in work.rglob("*") if f.is_file())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"full build: {report.total_chunks} chunks in {wall:.1f} s", flush=True)
    return "\n".join([
        "## bench/index_speed.py --full (the whole corpus)", "", machine_line(), *([note] if note else []),
                      "",
        "`update_index` with the defaults of `telecomgpt index build` (openvino-int8, chunk vectors from "
        f"the first {DEFAULT_EMBED_TOKENS} word pieces, throughput streams, BM25 + dense) over every file of "
        f"{', '.join(str(c) for c in corpus)}, into a fresh folder; {cpu_threads()} cores.", "",
        "| files | chunks | wall | chunks/s | CPU s (this process) | CPU s (child processes) | index size |",
        "|---|---|---|---|---|---|---|",
        f"| {len(files)} | {report.total_chunks:,} | {wall / 60:.1f} min | {report.total_chunks / wall:.0f} "
        f"| {cpu:.0f} | {child_cpu:.0f} | {size / 2**20:.0f} MiB |", "",
        f"Target (issue 11): the whole shared corpus in at most 10 min on 2 cores, against 49 min at first: "
        f"{'met' if wall <= 600 else 'NOT met'} ({wall / 60:.1f} min, {49 * 60 / wall:.1f}x faster). "
        ".docx files are converted by pandoc once and cached (`telecomgpt.paths.home()`), so a rebuild, "
        "like this run, does not convert them again; the child-process column shows what conversion cost "
        "here."])


def main() -> None:
    shared = paths.shared_dir() or Path("../shared")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, nargs="+", default=None,
                        help="files/folders to read (default: ../shared/data/corpus/3gpp for the subset, "
                             "../shared/data/corpus with --full)")
    parser.add_argument("--chunks", type=int, default=2000, help="read files until this many chunks (0: all)")
    parser.add_argument("--corpus-chunks", type=int, default=FULL_CORPUS_CHUNKS,
                        help="chunks of the whole corpus, for the extrapolated full-build time")
    parser.add_argument("--full", action="store_true",
                        help="time `index build` of every file of --corpus (default: the whole shared "
                             "corpus)")
    parser.add_argument("--busy-cores", type=int, default=0,
                        help="also time the two 128-word-piece paths while N processes keep N cores busy")
    parser.add_argument("--skip-build", action="store_true", help="skip the end-to-end update_index timings")
    parser.add_argument("--output", type=Path, default=BENCHMARKS_MD,
                        help="markdown file to write the section to")
    parser.add_argument("--print-only", action="store_true", help="print the report, write no file")
    parser.add_argument("--note", default="", help="a line to add to the report (e.g. what else was running)")
    args = parser.parse_args()
    if args.full:
        text = full_build(args.corpus or [shared / "data" / "corpus"], args.note)
        if not args.print_only:
            write_section("index_full", text, path=args.output)
        print(text)
        return
    args.corpus = args.corpus or [shared / "data" / "corpus" / "3gpp"]

    machine = machine_line()
    files, per_file, read_s = read_subset(args.corpus, args.chunks)
    records = [r for recs in per_file for r in recs]
    if not records:
        parser.error(f"no chunks read from {', '.join(map(str, args.corpus))}")
    per_file_texts = [[document_text(r) for r in recs] for recs in per_file]
    queries = title_queries(records, QUERIES)
    print(f"{len(records)} chunks from {len(files)} files (read in {read_s:.1f} s); {len(queries)} title "
          "queries",
          flush=True)

    torch_bf16 = get_embedder(backend="torch-bf16")
    rows = [run_path("torch bf16, one encode per file (the first `index build`)", torch_bf16, per_file_texts,
                     queries, True, cross_file=False),
            run_path("torch bf16, length-sorted across files", torch_bf16, per_file_texts, queries, True),
            run_path("openvino-int8, 256 word pieces, one request at a time",
                     get_embedder(backend="openvino-int8", max_tokens=256), per_file_texts, queries, False),
            run_path(f"openvino-int8, {DEFAULT_EMBED_TOKENS} word pieces, one request at a time (previous "
                     "default)", get_embedder(backend="openvino-int8", max_tokens=DEFAULT_EMBED_TOKENS),
                     per_file_texts, queries, False),
            run_path(f"**openvino-int8, {DEFAULT_EMBED_TOKENS} word pieces, throughput streams (default)**",
                     get_embedder(backend="openvino-int8", max_tokens=DEFAULT_EMBED_TOKENS), per_file_texts,
                     queries, True)]
    if args.busy_cores:  # another process holding cores, as vLLM does when `index add` runs beside `serve`
        busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy_cores)]
        try:
            embedder = get_embedder(backend="openvino-int8", max_tokens=DEFAULT_EMBED_TOKENS)
            for streams, how in ((False, "one request at a time"), (True, "throughput streams")):
                rows.append(run_path(f"openvino-int8, {DEFAULT_EMBED_TOKENS} word pieces, {how}, "
                                     f"{args.busy_cores} core(s) busy with another process", embedder,
                                     per_file_texts, queries, streams))
        finally:
            for process in busy:
                process.kill()
                process.wait()

    base = rows[0]
    base_top = dense_top(base["vectors"], base["queries"], 10) if queries else None
    lines = ["| path | chunks/s (wall) | CPU s per 1k chunks | speed-up (wall) | speed-up (CPU) | cosine to "
             "the first min / mean | recall@5 (titles) | top-10 overlap with the first |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        cosine = np.sum(row["vectors"] * base["vectors"], axis=1)
        recall = overlap = float("nan")
        if queries:
            top = dense_top(row["vectors"], row["queries"], 10)
            recall = np.mean([bool(set(top[i, :5]) & rel) for i, (_, rel) in enumerate(queries)])
            overlap = np.mean([len(set(top[i]) & set(base_top[i])) / 10 for i in range(len(queries))])
        row.update(recall=recall, overlap=overlap)
        lines.append(f"| {row['label']} | {len(records) / row['wall']:.1f} | "
                     f"{row['cpu'] / len(records) * 1000:.1f} | {base['wall'] / row['wall']:.1f}x | "
                     f"{base['cpu'] / row['cpu']:.1f}x | "
                     f"{cosine.min():.4f} / {cosine.mean():.4f} | {recall:.3f} | {overlap:.3f} |")

    builds = []
    if not args.skip_build:
        work = Path(tempfile.mkdtemp(prefix="index-speed-"))
        try:
            for label, dense in (("`index build` (defaults: BM25 + dense)", True),
                                 ("`index build --dense off`", False)):
                report, wall, cpu = timed(lambda d=dense: update_index(work / str(d), files, prune=True,
                                                                       progress=False, dense=d))
                builds.append((label, report.total_chunks, wall, cpu))
                print(f"{label}: {report.total_chunks} chunks in {wall:.1f} s", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    new = next(r for r in rows if "(default)" in r["label"])
    body = ["## bench/index_speed.py", "", machine, *([args.note] if args.note else []), "",
            f"Subset: {len(records)} chunks of {len(files)} files from "
            f"{', '.join(str(c) for c in args.corpus)} (read and chunked in {read_s:.1f} s); the same chunks "
            f"through every path, {cpu_threads()} threads each. Recall: {len(queries)} clause-title queries "
            "over the subset, exact inner-product search, each path embedding queries with itself.", "",
            *lines, ""]
    if builds:
        threads = cpu_threads()
        body += ["| end to end, same files (whole files) | chunks | wall s | CPU s | whole corpus, from wall "
                 f"time | whole corpus, from CPU time on {threads} idle cores |", "|---|---|---|---|---|---|"]
        for label, count, wall, cpu in builds:
            body.append(f"| {label} | {count} | {wall:.1f} | {cpu:.1f} | "
                        f"{args.corpus_chunks * wall / count / 60:.1f} min | "
                        f"{args.corpus_chunks * cpu / count / threads / 60:.1f} min |")
        body += ["", f"Whole corpus = {args.corpus_chunks:,} chunks. CPU time excludes pandoc's .docx "
                 "conversions (a child process; cached after the first build). On a shared machine the "
                 "CPU-time column is the one to read; a full run (`--chunks 0 --corpus "
                 "../shared/data/corpus`) measures it directly.", ""]
    previous = next(r for r in rows if "(previous default)" in r["label"])
    body.append(f"Default path on this subset: {base['wall'] / new['wall']:.1f}x the first path in wall time "
                f"({base['cpu'] / new['cpu']:.1f}x in CPU time), {previous['wall'] / new['wall']:.2f}x the "
                f"previous default in wall time; recall@5 {base['recall']:.3f} -> {new['recall']:.3f}.")
    loaded = [r for r in rows if "busy with another process" in r["label"]]
    if len(loaded) == 2:
        body.append(f"With {args.busy_cores} core(s) kept busy by another process, the throughput streams "
                    f"run {loaded[0]['wall'] / loaded[1]['wall']:.2f}x as fast as one request at a time "
                    "(wall time).")
    text = "\n".join(body)
    if not args.print_only:
        write_section("index_speed", text, path=args.output)
    print(text)


if __name__ == "__main__":
    main()
