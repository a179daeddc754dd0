"""The baseline's provider: a dynamic resource that does nothing (see bench/preview.py)."""
