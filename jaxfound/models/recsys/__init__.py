"""recsys models."""

__all__: list[str] = []
