"""Continual pretraining, QLoRA SFT and DPO recipes over TRL."""
