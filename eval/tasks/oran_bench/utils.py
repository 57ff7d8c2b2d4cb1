"""ORAN-Bench-13K (Gajjar & Shah, 2024): O-RAN specification MCQs in three difficulty levels."""

from eval.data.store import load_split as load_dataset  # noqa: F401  (the YAMLs' custom_dataset hook)
from eval.prompts import mcq_prompt  # noqa: F401
