"""srsRANBench: code-understanding MCQs about the srsRAN Project codebase."""

from eval.data.store import load_split as load_dataset  # noqa: F401  (the YAML's custom_dataset hook)
from eval.prompts import mcq_prompt  # noqa: F401
