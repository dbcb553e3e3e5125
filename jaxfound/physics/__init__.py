"""Physics-style constraints: differential operators, geometries, conditions, PDE residuals."""

__all__: list[str] = []
