"""Sessions views: areas (being written)."""
