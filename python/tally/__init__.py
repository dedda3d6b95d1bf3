"""Tally: warehouse-native usage billing."""

__version__ = "0.1.0"
