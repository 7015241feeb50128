"""Demo data (stub)."""


def load_demo() -> str:
    return "demo"
