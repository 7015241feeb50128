"""Sessions views: speakers (being written)."""
