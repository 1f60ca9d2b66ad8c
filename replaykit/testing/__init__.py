"""Helpers for testing code built on replaykit: scoring analyses against ground truth."""

from ._truth import KindScore, TruthItem, found_items, load_truth, score, truth_items

__all__ = ["KindScore", "TruthItem", "found_items", "load_truth", "score", "truth_items"]
