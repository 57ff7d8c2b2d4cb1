"""Telecom benchmarks as lm-evaluation-harness tasks, with reports and plots."""
