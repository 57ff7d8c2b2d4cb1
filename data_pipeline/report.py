"""report.md: the per-source table (like TelecomGPT's corpus table), removals per stage, errors."""

from __future__ import annotations


def _num(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def render_report(stats: dict) -> str:
    docs, tokens = stats["documents"], stats.get("tokens") or {}
    acc = stats["accounting"]
    lines = ["# Corpus report", "",
             f"Documents in {acc['in']:,} = out {acc['out']:,} + excluded {acc['excluded']:,} + errors "
             f"{acc['errors']:,} ({'balanced' if acc['balanced'] else 'MISMATCH'}).", "",
             "## Per source", "",
             "| source | docs in | docs out | tokens out | share of tokens | chars out |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    out_docs, ex_docs = docs.get("out:*", {}), docs.get("excluded:*", {})
    out_tokens, out_chars = tokens.get("out:*", {}), stats["characters"].get("out:*", {})
    total_tokens = sum(out_tokens.values()) or 1
    for source in sorted(set(out_docs) | set(ex_docs)):
        n_in = out_docs.get(source, 0) + ex_docs.get(source, 0)
        tok = out_tokens.get(source)
        share = f"{100 * tok / total_tokens:.1f}%" if tok is not None else "-"
        lines.append(f"| {source} | {n_in:,} | {out_docs.get(source, 0):,} | "
                     f"{_num(tok) if tok is not None else '-'} | {share} | {out_chars.get(source, 0):,} |")
    lines += ["", "## Splits", "", "| split | docs | tokens |", "| --- | ---: | ---: |"]
    for key in sorted(k for k in docs if k.startswith("out:") and k != "out:*"):
        split = key.split(":", 1)[1]
        tok = sum(tokens.get(key, {}).values()) if tokens else "-"
        lines.append(f"| {split} | {sum(docs[key].values()):,} | {_num(tok)} |")
    lines += ["", "## Removed, by stage and reason", "", "| stage/reason | docs | tokens | by source |",
              "| --- | ---: | ---: | --- |"]
    for key in sorted(k for k in docs if k.startswith("excluded:") and k != "excluded:*"):
        reason = key.split(":", 1)[1]
        tok = sum(tokens.get(key, {}).values()) if tokens else "-"
        by_source = ", ".join(f"{s} {n:,}" for s, n in sorted(docs[key].items()))
        lines.append(f"| {reason} | {sum(docs[key].values()):,} | {_num(tok)} | {by_source} |")
    hits = stats.get("decontamination") or []
    lines += ["", "## Decontamination: documents removed and the benchmark items they share 13-grams with",
              ""]
    lines += [f"- `{h['id']}`: {', '.join(h['benchmark_items'][:5])}" for h in hits[:50]] or ["None."]
    if len(hits) > 50:
        lines.append(f"- ... {len(hits) - 50} more in stats.json")
    lines += ["", "## Files with errors", ""]
    lines += [f"- `{e['path']}`: {e['reason']}" for e in stats["errors"]] or ["None."]
    timing = stats.get("seconds_per_stage") or {}
    if timing:
        lines += ["", "## Seconds per stage", "", ", ".join(f"{k} {v:.1f}" for k, v in timing.items())]
    return "\n".join(lines) + "\n"
