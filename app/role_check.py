"""The role checker: does a claim that the support scorer accepted keep the roles and numbers of its evidence
sentence? ("A subframe consists of ten frames" against "A frame consists of ten subframes": every word is
found, the scorer says supported; the checker says no.)

app/support.py's `SupportScorer` counts which words of a claim one evidence sentence holds, and an embedding
cosine; neither sees which entity comes before the verb, so two names or nouns swapped inside one sentence
pass, and so does a changed number word ("ten" -> "eight") in a long sentence. This module aligns the claim's
content words to the evidence sentence and measures what a swap breaks: words out of the evidence's order
(descents, within one comma-part of the claim, involving a name), words left standing between two words that
changed places, a phrase moved as one block, numbers the evidence does not have or counts something else
with.

Why small gradient-boosted trees over these features, not a cross-encoder: the features already carry the
signal (a verbatim or shortened claim has no descent; a swap has two, and a word standing between them), so
the model learns it from a few thousand perturbed spec sentences in seconds on 2 busy cores, and scoring is
a few regular expressions and 60 walks of depth 3 (~0.4 ms a sentence; the assistant checks every streamed
sentence). A MiniLM cross-encoder with a new head, trained ~70 steps in this repo, learned only the class
prior; one that learns word order needs far more steps than a CPU session affords, and ~10 ms a sentence to
run. Trees, not a logistic regression: the features interact (out of order across comma-parts is a reordered
true claim, inside one part a swap; a high share of pairs out of order is a reorder in a long claim but a
swap in a short one). Trained on TS 23.501, 23.502, 38.300 and 38.321 and measured on TS 37.340, 38.211 and
38.401, a logistic regression over the same features let 3.9% of the swapped claims through, the trees 1.1%,
both keeping 99% of the true ones.

The trees are trained by `telecomgpt train role-check` (finetune/role_check.py) on claims made from spec
sentences (finetune/data/role_pairs.py). A copy trained on five of the seven Release-19 markdown specs
(TS 38.211 and 38.401 held out) ships in app/role_model/ (~28 KB of tree tables; the command that rebuilds it
is in docs/assistant.md); a model the user trains goes to the user's cache (`role_check_path()`) and is used
instead.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from app.sentences import strip_citations, terms
from telecomgpt.config import read_yaml
from telecomgpt.errors import UserError
from telecomgpt.paths import home

NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "sixteen": 16, "twenty": 20, "thirty": 30,
                "sixty": 60, "hundred": 100}
NEGATIONS = frozenset({"not", "no", "never", "cannot", "none", "nor", "without"})
"""Words a true variant of a claim keeps (finetune/data/role_pairs.py): without one, it says the opposite."""
FEATURES = ("descents", "descents_in_part", "name_descents", "pivots_in_part", "discordant_in_part",
            "discordant", "aligned_words", "rotation_block", "numbers_missing", "numbers_recounted")
"""What `features` measures, in order (a trained model names them; a model of other features is refused).
Not the share of the claim's words missing from the evidence: the support scorer judges that, and the
training claims, all made from their evidence sentence, would teach that any missing word is fatal. Not the
words in another form either ("consists" for "consisting"): a swap changes two, and so does a paraphrase."""
MODEL_FILE = "role_check.yaml"
SHIPPED = Path(__file__).resolve().parent / "role_model"
_NUMBER = re.compile(r"(?<![\w.\-])\d+(?:\.\d+)?(?![\w\-]|\.\d)|\b[A-Za-z]+\b")
REFERENCE = re.compile(r"(?:clause|table|figure|ts|tr|release|rel-|version|annex|step|note|\[)\s*$", re.I)
"""Text before a number that makes it a reference, not a count ("clause 5", "TS 38.300", "NOTE 2")."""
_PARTS = re.compile(r"[,;:()]")


def features(claim: str, evidence: str) -> list[float]:
    """The claim measured against one evidence sentence (see FEATURES); counts are capped at 4, the aligned
    words at 30."""
    claim = strip_citations(claim)
    parts = [terms(part) for part in _PARTS.split(claim)]
    stems = [(_singular(stem), n) for n, (content, _) in enumerate(parts) for stem in content]
    names = {_singular(key) for _, keys in parts for key in keys}
    evidence_stems = [_singular(stem) for stem in terms(evidence)[0]]
    where: dict[str, list[int]] = {}
    for i, stem in enumerate(evidence_stems):
        where.setdefault(stem, []).append(i)
    aligned: list[tuple[int, str, int]] = []  # (evidence position, stem, claim part)
    last = -1
    for stem, part in stems:
        if stem in where:  # the next occurrence after the previous word's, else the first
            position = next((p for p in where[stem] if p > last), where[stem][0])
            aligned.append((position, stem, part))
            last = position
    steps = list(zip(aligned, aligned[1:], strict=False))
    descents = [(a, b) for a, b in steps if b[0] < a[0]]
    claim_numbers, evidence_numbers = _numbers(claim), _numbers(evidence)
    evidence_values = {v for v, _ in evidence_numbers}
    recounted = sum(1 for value, counted in claim_numbers
                    if value in evidence_values and (value, counted) not in evidence_numbers)
    counts = [min(4, v) for v in (len(descents), sum(a[2] == b[2] for a, b in descents),
                                  sum(a[1] in names or b[1] in names for a, b in descents), _pivots(aligned))]
    return [float(v) for v in (*counts, _discordant(aligned, in_part=True), _discordant(aligned),
                               min(30, len(aligned)), min(4, _rotation(aligned)),
                               min(4, sum(1 for value, _ in claim_numbers
                                          if value not in evidence_values)),
                               min(4, recounted))]


def _singular(stem: str) -> str:
    """app.sentences keeps short words whole ("cells"): one form for both numbers, so they align."""
    return stem[:-1] if stem.isalpha() and len(stem) > 3 and stem.endswith("s") and not stem.endswith("ss") \
        else stem


def _pivots(aligned: list[tuple[int, str, int]]) -> int:
    """Words that stay between two words which changed places, all in one part of the claim: the mark of a
    swap ("A frame consists of ten subframes" -> "A subframe consists of ten frames": "consists" and "ten").
    Parts moved as blocks ("B, A" from "A, B"; a phrase fronted) have none."""
    count = 0
    for i, (position, _, part) in enumerate(aligned):
        before = any(p > position and q == part for p, _, q in aligned[:i])
        after = any(p < position and q == part for p, _, q in aligned[i + 1:])
        count += before and after
    return count


def _rotation(aligned: list[tuple[int, str, int]]) -> int:
    """The smaller block's word count when the claim is the evidence's words in two blocks, the later one
    first (a phrase fronted: "Through the F1-U interface the gNB-CU-UP is connected to ..."), else 0. Two
    single words changing places ("subframes of frames") are blocks of one."""
    positions = [p for p, _, _ in aligned]
    cuts = [i for i in range(1, len(positions)) if positions[i] < positions[i - 1]]
    if len(cuts) != 1 or max(positions[cuts[0]:]) >= min(positions[:cuts[0]]):
        return 0
    return min(cuts[0], len(positions) - cuts[0])


def _discordant(aligned: list[tuple[int, str, int]], in_part: bool = False) -> float:
    """Share of the word pairs (of one part of the claim) that are in the other order than the evidence's
    (parts moved as blocks change the order of pairs across parts only)."""
    pairs = [(a[0], b[0]) for i, a in enumerate(aligned) for b in aligned[i + 1:]
             if a[2] == b[2] or not in_part]
    return sum(p > q for p, q in pairs) / max(1, len(pairs))


def _numbers(text: str) -> set[tuple[float, str]]:
    """(value, the word after it) of each count in a text: digits standing alone and number words."""
    matches = list(_NUMBER.finditer(text))
    out = set()
    for i, match in enumerate(matches):
        token = match.group()
        value = NUMBER_WORDS.get(token.lower()) if token.isalpha() else float(token)
        if value is not None and not REFERENCE.search(text[max(0, match.start() - 12):match.start()]):
            following = matches[i + 1].group().lower() if i + 1 < len(matches) else ""
            out.add((float(value), terms(following)[0][0] if terms(following)[0] else following))
    return out


@dataclass
class RoleChecker:
    """Gradient-boosted trees over `features`: P(the claim says what its evidence sentence says)."""

    trees: list[dict]
    """One {"feature", "threshold", "left", "right", "value"} table of nodes per tree (scikit-learn's
    layout: a leaf has left == -1; x[feature] <= threshold goes left; values already scaled by the learning
    rate)."""
    bias: float
    """Log-odds before the first tree."""
    threshold: float
    """Below this probability a claim is refused (chosen in training to keep nearly every true claim)."""
    features: tuple[str, ...] = FEATURES

    def log_odds(self, x: list[float]) -> float:
        """The model's log-odds for one feature vector."""
        return self.bias + sum(_leaf(tree, x) for tree in self.trees)

    def probability(self, claim: str, evidence: str) -> float:
        z = self.log_odds(features(claim, evidence))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def agrees(self, claim: str, evidence: str) -> bool:
        """Whether the claim keeps the roles and numbers of `evidence` (one sentence)."""
        return not evidence or self.probability(claim, evidence) >= self.threshold

    def to_dict(self) -> dict:
        return {**asdict(self), "features": list(self.features)}

    @classmethod
    def load(cls, folder: Path) -> RoleChecker:
        values = dict(read_yaml(folder / MODEL_FILE))
        if tuple(values.get("features", ())) != FEATURES:
            raise UserError(f"{folder} holds a role checker of other features",
                            hint="retrain it: telecomgpt train role-check --corpus SPECS")
        return cls(trees=values["trees"], bias=values["bias"], threshold=values["threshold"])


def _leaf(tree: dict, x: list[float]) -> float:
    node = 0
    while tree["left"][node] != -1:
        side = "left" if x[tree["feature"][node]] <= tree["threshold"][node] else "right"
        node = tree[side][node]
    return tree["value"][node]


def role_check_path() -> Path:
    """Where `train role-check` stores the checker by default and the assistant looks for it first."""
    return home() / "role_check"


_LOADED: dict[Path, RoleChecker] = {}
_LOCK = threading.Lock()


def default_role_checker() -> RoleChecker | None:
    """The user's trained checker, else the shipped one; None when neither is there."""
    for folder in (role_check_path(), SHIPPED):
        if (folder / MODEL_FILE).is_file():
            with _LOCK:
                if folder not in _LOADED:
                    _LOADED[folder] = RoleChecker.load(folder)
                return _LOADED[folder]
    return None
