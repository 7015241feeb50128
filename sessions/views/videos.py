"""Sessions views: videos (being written)."""
