"""Sessions views: venue (being written)."""
