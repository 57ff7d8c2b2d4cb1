"""`telecomgpt train role-check`: the role checker of grounded answers (app/role_check.py), small
gradient-boosted trees over alignment features, trained on claims made from spec sentences.

1. Claims from spec sentences (finetune/data/role_pairs.py): the sentence and its true variants (words
   dropped, parts reordered, first half, a phrase fronted) against two names or nouns swapped and a number
   changed, each with its own sentence as the evidence.
2. scikit-learn's GradientBoostingClassifier on the features (why trees: app/role_check.py); the threshold
   is the probability that keeps `keep_true` of the true training claims (the checker must not drop true
   sentences).
3. Measured on the held-out specs (`holdout_specs`, never trained on): true claims kept, false ones refused,
   by kind.

The model (role_check.yaml, ~30 KB of tree tables) is built in OUTPUT.partial and published in one rename; the
assistant uses the user's cache (`app.role_check.role_check_path()`, OUTPUT by default), else the copy shipped
in app/role_model/.
"""

from __future__ import annotations

import shutil
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from app.role_check import FEATURES, MODEL_FILE, RoleChecker, features, role_check_path
from finetune.data.glossary import spec_files
from finetune.data.role_pairs import role_rows
from finetune.retriever import publish
from finetune.retriever_config import check_corpus, load_dataclass_recipe, split_holdout
from telecomgpt.errors import UserError

SUMMARY = "role_check_summary.json"


@dataclass
class RoleCheckTraining:
    """Make claims from spec sentences, fit the checker, measure it on held-out specs."""

    corpus: list[str] = field(default_factory=list)
    """Spec files or folders (.md/.docx/.zip) to make claims from (never benchmarks)."""
    output: str = ""
    """Output folder (default: the user's cache, where the assistant looks first)."""
    per_spec: int = 300
    """Sentences taken from each spec (a seeded sample); each gives up to 7 claims."""
    holdout_specs: list[str] = field(default_factory=list)
    """Spec file stem prefixes never trained on, measured on instead."""
    keep_true: float = 0.99
    """Share of the true training claims the threshold keeps."""
    trees: int = 60
    """Boosting rounds (trees)."""
    depth: int = 3
    """Depth of each tree."""
    seed: int = 0

    def check(self) -> None:
        check_corpus(self.corpus)
        if self.per_spec < 1:
            raise UserError(f"per_spec must be at least 1, got {self.per_spec}")
        if not 0.5 <= self.keep_true < 1:
            raise UserError(f"keep_true must be in [0.5, 1), got {self.keep_true}")
        if self.trees < 1 or not 1 <= self.depth <= 8:
            raise UserError(f"trees must be at least 1 and depth 1-8, got {self.trees} and {self.depth}")


def load_role_check_recipe(path: Path | None, overrides: dict) -> RoleCheckTraining:
    """Defaults, then the YAML recipe at `path`, then `overrides` (flags that were given)."""
    return load_dataclass_recipe(RoleCheckTraining, path, overrides, "role-check",
                                 ("corpus", "holdout_specs"))


def fit(rows: list[dict], keep_true: float = 0.99, trees: int = 60, depth: int = 3,
        seed: int = 0) -> RoleChecker:
    """A RoleChecker fitted on labelled {"claim", "evidence", "label"} rows."""
    from sklearn.ensemble import GradientBoostingClassifier  # lazy: keeps `telecomgpt --help` fast

    x = np.array([features(r["claim"], r["evidence"]) for r in rows])
    y = np.array([r["label"] for r in rows])
    if len(set(y.tolist())) < 2:
        raise UserError("the specs gave claims of one label only: give more or longer spec files")
    model = GradientBoostingClassifier(n_estimators=trees, max_depth=depth, random_state=seed).fit(x, y)
    tables = [{"feature": [max(0, int(f)) for f in t.tree_.feature],
               "threshold": [round(float(v), 6) for v in t.tree_.threshold],
               "left": [int(v) for v in t.tree_.children_left],
               "right": [int(v) for v in t.tree_.children_right],
               "value": [round(float(v) * model.learning_rate, 6) for v in t.tree_.value[:, 0, 0]]}
              for t in model.estimators_[:, 0]]
    checker = RoleChecker(trees=tables, bias=0.0, threshold=0.0)
    # the prior's log-odds: what scikit-learn adds before the trees
    checker.bias = round(float(model.decision_function(x[:1])[0]) - checker.log_odds(list(x[0])), 6)
    scores = np.array(model.decision_function(x[:200]))
    mine = np.array([checker.log_odds(list(row)) for row in x[:200]])
    assert np.allclose(mine, scores[:200], atol=1e-3), "exported trees disagree with scikit-learn"
    true_scores = sorted(checker.probability(r["claim"], r["evidence"]) for r in rows if r["label"] == 1)
    checker.threshold = round(float(true_scores[int((1 - keep_true) * len(true_scores))]) - 1e-6, 6)
    return checker


def measure(checker: RoleChecker, rows: list[dict]) -> dict:
    """Share of each kind's claims the checker lets through, and the totals: true kept, false refused."""
    passed: dict[str, list[bool]] = defaultdict(list)
    for row in rows:
        passed[(row["kind"], row["label"])].append(checker.agrees(row["claim"], row["evidence"]))
    by_kind = {kind: {"n": len(v), "label": label, "passed": round(float(np.mean(v)), 3)}
               for (kind, label), v in sorted(passed.items())}
    true = [p for (_, label), v in passed.items() for p in v if label == 1]
    false = [p for (_, label), v in passed.items() for p in v if label == 0]
    return {"true_kept": round(float(np.mean(true)), 4) if true else None,
            "false_refused": round(1 - float(np.mean(false)), 4) if false else None,
            "true_refused": int(len(true) - sum(true)), "true": len(true), "by_kind": by_kind}


def train_role_check(config: RoleCheckTraining) -> dict:
    """Make claims, fit, measure, write the output atomically; returns the summary (also OUTPUT/SUMMARY)."""
    config.check()
    output = Path(config.output) if config.output else role_check_path()
    if output.exists() and any(output.iterdir()) and not (output / SUMMARY).is_file():
        raise UserError(f"{output} exists and is not a `train role-check` output",
                        hint="choose a new --output")
    files = spec_files(config.corpus)
    train, held = split_holdout(files, config.holdout_specs)
    if not train:
        raise UserError("no spec files left to train on", hint="check --corpus and --holdout")
    started = time.monotonic()
    rows = role_rows(train, config.per_spec, config.seed)
    checker = fit(rows, config.keep_true, config.trees, config.depth, config.seed)
    summary = {"config": vars(config), "features": list(FEATURES), "trained_on": [p.name for p in train],
               "rows": len(rows), "train": measure(checker, rows)}
    if held:
        summary["held_out_specs"] = [p.name for p in held]
        summary["held_out"] = measure(checker, role_rows(held, config.per_spec, config.seed + 1))
    summary["seconds"] = round(time.monotonic() - started, 1)
    work = output.with_name(output.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / MODEL_FILE).write_text(
        "# The role checker of grounded answers (app/role_check.py), written by `train role-check`\n"
        f"# on {', '.join(summary['trained_on'])}; see {SUMMARY}.\n"
        + yaml.safe_dump(checker.to_dict(), sort_keys=False, default_flow_style=None, width=200))
    return publish(work, output, summary, SUMMARY)
