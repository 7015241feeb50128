"""Sessions views: cochairs (being written)."""
