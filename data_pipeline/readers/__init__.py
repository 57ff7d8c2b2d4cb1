"""Per-source readers: each turns one input file into TelecomGPT Documents (text + metadata)."""
