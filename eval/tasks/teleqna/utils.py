"""TeleQnA (Maatouk et al., 2023): 10,000 telecom MCQs in five categories, 2-5 options each."""

from eval.data.store import load_split as load_dataset  # noqa: F401  (the YAMLs' custom_dataset hook)
from eval.prompts import cloze_prompt, mcq_generate_prompt, mcq_prompt, score_mcq_generation  # noqa: F401
