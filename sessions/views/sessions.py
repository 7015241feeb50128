"""Sessions views: sessions (being written)."""
