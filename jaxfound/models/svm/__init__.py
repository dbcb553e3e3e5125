"""svm models."""

__all__: list[str] = []
