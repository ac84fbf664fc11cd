"""Benchmarks: each measures the project beside a raw-database baseline in the same run."""
