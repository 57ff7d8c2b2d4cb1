"""Write one benchmark's section of docs/benchmarks.md, leaving the other sections as they are; and the
paired bootstrap interval that bench scripts put next to a gap between two rows.

Each bench script owns the block between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import numpy as np
import psutil

from telecomgpt.hardware import describe_machine

BENCHMARKS_MD = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = ("# Benchmarks\n\nEvery number here comes from a script in `bench/`, run side by side with its "
          "baseline.\n")


def machine_line() -> str:
    """A one-line description of the machine and the date, for every section."""
    mem_gib = psutil.virtual_memory().total / 2**30
    load = os.getloadavg()[0]  # other jobs on the machine slow every number; say how busy it was
    # the CPU model and its bf16 support: bf16 figures differ 5-70x between CPU kinds (telecomgpt.hardware)
    return (f"Machine: {describe_machine()}, {mem_gib:.0f} GiB RAM. Date: {dt.date.today()}. Load average "
            f"(1 min) at the start: {load:.1f}.")


def write_section(name: str, body: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace (or append) the section of `name` with `body` (markdown, without the markers)."""
    text = path.read_text() if path.exists() else HEADER
    block = f"<!-- bench:{name} -->\n{body.strip()}\n<!-- /bench:{name} -->"
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    text = (pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block
            + "\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def paired_difference(a: list[float], b: list[float], resamples: int = 10_000,
                      seed: int = 0) -> tuple[float, float, float]:
    """Mean of a - b over paired items (the same questions answered two ways) and its 95% percentile
    bootstrap interval: (difference, low, high). Resampling the questions keeps the pairing, so what two
    rows share (a question both find easy) does not widen the interval. Written here because it is ten
    lines of numpy; scipy.stats.bootstrap would do the same with a heavier import."""
    if len(a) != len(b) or not a:
        raise ValueError("paired_difference needs two equally long, non-empty lists")
    diffs = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    picks = np.random.default_rng(seed).integers(0, len(diffs), size=(resamples, len(diffs)))
    means = diffs[picks].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(diffs.mean()), float(low), float(high)
