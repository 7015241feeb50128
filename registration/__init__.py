"""Registration feature package (built by a later issue)."""
