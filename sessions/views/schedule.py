"""Sessions views: schedule (being written)."""
