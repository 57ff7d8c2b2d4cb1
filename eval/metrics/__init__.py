"""Scoring helpers shared by the task utils: answer extraction, equations, text similarity."""
