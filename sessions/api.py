"""/api/v1/sessions (being written)."""
