"""Recommender models: biased matrix factorisation trained with `jaxfound.train.fit`."""

from jaxfound.models.recsys._mf import MatrixFactorization, rating_loss, recommend, rmse

__all__ = ["MatrixFactorization", "rating_loss", "recommend", "rmse"]
