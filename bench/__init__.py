"""Rangkul benchmarks: every figure printed beside its baseline, measured in the same run.

Run with ``make bench`` (``python -m bench``). Tests run every scenario at the ``tiny`` size so
that the benchmarks never rot; no test asserts a timing.
"""
