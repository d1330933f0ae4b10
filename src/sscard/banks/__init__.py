"""Cooperative banks: what they learn of their cards (R-LOSS-6), pulled or pushed (R-NOTE-2)."""
