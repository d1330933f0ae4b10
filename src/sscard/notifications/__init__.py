"""Telling the holder by SMS what happened to their card (R-NOTE-1)."""
