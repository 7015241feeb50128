"""Sessions views: public (being written)."""
