"""Run the pipeline's stages one after the other on a local or Ray executor, with a progress bar each."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from data_pipeline.config import PipelineConfig
from data_pipeline.pipeline import build_stages
from data_pipeline.stats import write_stats
from telecomgpt.errors import UserError


def _executor(kind: str, pipeline: list, tasks: int, workers: int, logging_dir: Path):
    if kind == "local":
        from datatrove.executor import LocalPipelineExecutor

        return LocalPipelineExecutor(pipeline, tasks=tasks, workers=min(workers, tasks),
                                     logging_dir=str(logging_dir))
    if kind == "ray":
        import ray
        from datatrove.executor.ray import RayPipelineExecutor

        if not ray.is_initialized():
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        return RayPipelineExecutor(pipeline, tasks=tasks, workers=workers, logging_dir=str(logging_dir),
                                   cpus_per_task=1, mem_per_cpu_gb=1)
    raise UserError(f"unknown executor {kind!r}")


def _watch_completions(folder: Path, total: int, label: str, stop: threading.Event) -> None:
    """A tqdm bar over the stage's ranks, fed by datatrove's completion markers."""
    from tqdm import tqdm

    with tqdm(total=total, desc=label, unit="task", leave=True) as bar:
        while True:
            done = min(len(list(folder.glob("*"))) if folder.is_dir() else 0, total)
            if done > bar.n:
                bar.update(done - bar.n)
            if stop.is_set():
                break
            time.sleep(0.3)


def run_pipeline(config: PipelineConfig, inputs: list[str], output: str | Path, executor: str = "local",
                 workers: int | None = None, benchmarks: list[str] | None = None) -> dict:
    """Run (or resume) every stage into `output`, then write stats.json + report.md; returns the stats."""
    if executor not in ("local", "ray"):
        raise UserError(f"unknown executor {executor!r}",
                        hint="use local or ray; for Slurm see docs/data_pipeline.md")
    missing = [path for path in inputs if not Path(path).exists()]
    if missing:
        raise UserError(f"input not found: {missing[0]}")
    out = Path(output).resolve()
    out.mkdir(parents=True, exist_ok=True)
    workers = workers or min(config.tasks, os.cpu_count() or 1)
    stages = build_stages(config, [str(Path(p).resolve()) for p in inputs], out, list(benchmarks or []))
    timings = {}
    for index, (name, pipeline, tasks) in enumerate(stages, 1):
        logging_dir = out / "logs" / name
        stop = threading.Event()
        watcher = threading.Thread(target=_watch_completions, daemon=True,
                                   args=(logging_dir / "completions", tasks,
                                         f"[{index}/{len(stages)}] {name}", stop))
        watcher.start()
        started = time.perf_counter()
        try:
            _executor(executor, pipeline, tasks, workers, logging_dir).run()
        finally:
            stop.set()
            watcher.join()
        timings[name] = round(time.perf_counter() - started, 3)
        incomplete = tasks - len(list((logging_dir / "completions").glob("*")))
        if incomplete:
            raise UserError(f"stage {name} left {incomplete} task(s) unfinished; see {logging_dir}/logs",
                            hint="run the same command again to resume")

    return write_stats(out, config, timings)
