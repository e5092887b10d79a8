"""Helpers every layer may use: the input error, files, tables, statistics, memory.

Layer 1 of 7 (see ``urbsim/__init__.py``): imports nothing of urbsim but itself.
"""
