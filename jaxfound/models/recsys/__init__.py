"""Recommender models: biased matrix factorisation trained with `jaxfound.train.fit`."""

from jaxfound.models.recsys._mf import (
    MatrixFactorization,
    predict_ratings,
    rating_loss,
    recommend,
)

__all__ = ["MatrixFactorization", "predict_ratings", "rating_loss", "recommend"]
