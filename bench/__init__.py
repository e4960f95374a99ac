"""Realistic data at scale and the benchmark that measures coop's pages on it (never run by pytest)."""
