"""Datasets the finetune recipes train on (SFT instructions, DPO preference pairs)."""
