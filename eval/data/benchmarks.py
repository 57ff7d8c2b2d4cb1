"""Readers for the official benchmark files: TeleQnA, ORAN-Bench-13K, srsRANBench, WirelessMathBench-XL.

Files are looked up by their official names, in `<data-dir>/<benchmark>/` or directly in `<data-dir>`,
so a user points `--data-dir` at what they downloaded. Items that cannot be used are counted with a
reason (never a crash); a missing file or a wrong zip password is a one-line `UserError`.
"""

from __future__ import annotations

import json
import re
from contextlib import closing
from pathlib import Path

from eval.data.store import Built, Malformed
from eval.metrics.equations import boxed_contents
from telecomgpt.domain.benchmark_files import zip_texts
from telecomgpt.errors import UserError

TELEQNA_CATEGORIES = {
    "Lexicon": "lexicon",
    "Research overview": "research_overview",
    "Research publications": "research_publications",
    "Standards overview": "standards_overview",
    "Standards specifications": "standards_specifications",
}
ORAN_LEVELS = {"E": "easy", "M": "medium", "H": "hard"}
_QUESTION_KEY = re.compile(r'"(question \d+)"\s*:\s*')
_OPTION_PREFIX = re.compile(r"^\s*\(?\d+[.):]\s*")


def _find(data_dir: Path, subdir: str, names: list[str]) -> list[Path]:
    """The first folder (`data_dir/subdir`, then `data_dir`) holding any of `names` (globs)."""
    if not data_dir.is_dir():
        raise UserError(f"data directory not found: {data_dir}",
                        hint="pass --data-dir with the benchmark files")
    for folder in (data_dir / subdir, data_dir):
        found = sorted({p for name in names for p in folder.glob(name) if p.is_file()})
        if found:
            return found
    raise UserError(f"{subdir}: none of {', '.join(names)} in {data_dir} or {data_dir / subdir}")


def find_teleqna(data_dir: Path, options: dict | None = None) -> list[Path]:
    return _find(data_dir, "teleqna", ["TeleQnA.zip", "TeleQnA.txt", "TeleQnA.json"])[:1]


def _read_teleqna_text(path: Path) -> str:
    if path.suffix != ".zip":
        return path.read_text(encoding="utf-8")
    with closing(zip_texts(path, (".txt", ".json"))) as members:
        first = next(members, None)
    if first is None:
        raise UserError(f"{path}: no TeleQnA.txt inside the zip")
    return first[1]


def build_teleqna(data_dir: Path, options: dict | None = None) -> Built:
    """One JSONL per category plus `all.jsonl`; each entry is decoded on its own so one broken entry
    is counted as malformed instead of losing the file."""
    path = find_teleqna(data_dir)[0]
    text = _read_teleqna_text(path)
    decoder = json.JSONDecoder()
    records, malformed = [], []
    for match in _QUESTION_KEY.finditer(text):
        key = match.group(1)
        try:
            item, _ = decoder.raw_decode(text, match.end())
            options = [str(item[f"option {k}"]).strip() for k in range(1, 6) if item.get(f"option {k}")]
            answer = re.match(r"\s*option\s*(\d)", str(item["answer"]), re.I)
            gold = int(answer.group(1)) - 1 if answer else -1
            if not 2 <= len(options) <= 5 or not 0 <= gold < len(options):
                raise ValueError(f"answer {item.get('answer')!r} does not name one of {len(options)} options")
            records.append({"id": key, "question": str(item["question"]).strip(), "choices": options,
                            "gold": gold, "explanation": str(item.get("explanation") or "").strip(),
                            "category": str(item.get("category") or "unknown")})
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            malformed.append(Malformed(path.name, key, f"{type(exc).__name__}: {exc}"[:200]))
    if not records and not malformed:
        raise UserError(f"{path}: no TeleQnA questions found (expected keys like \"question 0\")")
    splits = {f"{slug}.jsonl": [r for r in records if r["category"] == name]
              for name, slug in TELEQNA_CATEGORIES.items()}
    splits["all.jsonl"] = records
    return Built(splits, [path], malformed)


def _mcq_line(line: str) -> dict:
    """One ORAN/srsRAN line: `[question, ["1. ...", ...], "k"]` or an object with question/options/answer."""
    row = json.loads(line)
    if isinstance(row, dict):
        row = [row["question"], row.get("options") or row.get("choices"), row["answer"]]
    question, options, answer = row
    choices = [_OPTION_PREFIX.sub("", str(o)).strip() for o in options]
    gold = int(str(answer).strip().split(".")[0]) - 1
    if not str(question).strip() or len(choices) < 2 or not 0 <= gold < len(choices):
        raise ValueError(f"answer {answer!r} does not name one of {len(choices)} options")
    return {"question": str(question).strip(), "choices": choices, "gold": gold}


def _read_mcq_lines(path: Path, category: str, malformed: list[Malformed]) -> list[dict]:
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = _mcq_line(line)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            malformed.append(Malformed(path.name, f"line {number}", f"{type(exc).__name__}: {exc}"[:200]))
            continue
        records.append({"id": f"{path.stem}:{number}", "category": category, **record})
    return records


def find_oran(data_dir: Path, options: dict | None = None) -> list[Path]:
    return _find(data_dir, "oran_bench", ["fin_E.json", "fin_M.json", "fin_H.json"])


def build_oran(data_dir: Path, options: dict | None = None) -> Built:
    """ORAN-Bench-13K by difficulty: `easy.jsonl`, `medium.jsonl`, `hard.jsonl` and `all.jsonl`."""
    malformed: list[Malformed] = []
    splits: dict[str, list[dict]] = {f"{level}.jsonl": [] for level in ORAN_LEVELS.values()}
    for path in find_oran(data_dir):
        level = ORAN_LEVELS[path.stem[-1]]
        splits[f"{level}.jsonl"] = _read_mcq_lines(path, level, malformed)
    splits["all.jsonl"] = [r for level in ORAN_LEVELS.values() for r in splits[f"{level}.jsonl"]]
    return Built(splits, find_oran(data_dir), malformed)


def find_srsran(data_dir: Path, options: dict | None = None) -> list[Path]:
    return _find(data_dir, "srsran_bench", ["srsRANBench.json", "srsRANBench*.json"])[:1]


def build_srsran(data_dir: Path, options: dict | None = None) -> Built:
    malformed: list[Malformed] = []
    path = find_srsran(data_dir)[0]
    return Built({"test.jsonl": _read_mcq_lines(path, "srsRAN", malformed)}, [path], malformed)


def find_wireless_math(data_dir: Path, options: dict | None = None) -> list[Path]:
    return _find(data_dir, "wireless_math", ["S0_test_public.jsonl", "S0_*.jsonl"])[:1]


def build_wireless_math(data_dir: Path, options: dict | None = None) -> Built:
    """`mcq.jsonl` (options A-D, scored by log-likelihood) and `fill.jsonl` (boxed equation answers)."""
    path = find_wireless_math(data_dir)[0]
    mcq, fill, malformed = [], [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            kind, base = str(row["type"]), {"id": str(row.get("problem_id", number)),
                                            "category": str(row["type"])}
            context = f"{row['background']}\n\nQuestion: {row['question_text']}\nEquation: {row['equation']}"
            if kind.upper() == "MCQ":
                letters = sorted(row["options"])
                gold = letters.index(str(row["correct_answer"]).strip())
                mcq.append({**base, "context": context, "choices": [str(row["options"][k]) for k in letters],
                            "letters": letters, "gold": gold})
            else:
                answers = boxed_contents(str(row["correct_answer"]))
                if not answers:
                    raise ValueError("correct_answer has no \\boxed{...}")
                fill.append({**base, "prompt": str(row.get("prompt") or context), "answers": answers})
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            malformed.append(Malformed(path.name, f"line {number}", f"{type(exc).__name__}: {exc}"[:200]))
    return Built({"mcq.jsonl": mcq, "fill.jsonl": fill}, [path], malformed)
