"""Physics-style constraints: differential operators, geometries and samplers, boundary
and initial conditions, PDE residuals, physics-informed losses and training aids.

A field is ``u(params, x)`` at one point; operators map fields to fields; a
`Constraint` is one loss term; `jaxfound.losses.weighted_sum` sums them into one
`jaxfound.losses.Loss` that `jaxfound.train.fit` trains (Adam, then ``optax.lbfgs``).

    >>> import jax, jax.numpy as jnp, jaxfound as jf
    >>> net = jf.models.MLP((16, 16, 1), activation=jnp.tanh)
    >>> u = jf.physics.field(net)
    >>> domain = jf.physics.SpaceTime(jf.physics.Interval(-1, 1), (0.0, 1.0))
    >>> loss = jf.losses.weighted_sum({
    ...     "pde": jf.physics.residual(jf.physics.burgers(0.01 / jnp.pi), u,
    ...                                domain.sample_interior(64, method="halton")),
    ...     "ic": jf.physics.initial(u, lambda x: -jnp.sin(jnp.pi * x),
    ...                              domain.sample_initial(16, method="sobol")),
    ...     "bc": jf.physics.dirichlet(u, 0.0, domain.sample_boundary(16, method="sobol")),
    ... })
    >>> params = net.init(jax.random.key(0), jnp.ones((1, 2)))
    >>> sorted(loss(params, None)[1])
    ['bc', 'ic', 'loss', 'pde']
"""

from jaxfound.physics._adaptive import causal, grad_norm_weights, rad, rar, residual_magnitude
from jaxfound.physics._conditions import (
    dirichlet,
    initial,
    initial_derivative,
    neumann,
    observed,
    periodic,
    robin,
)
from jaxfound.physics._constraint import Constraint, mean_square, residual
from jaxfound.physics._geometry import (
    Box,
    Disk,
    Geometry,
    Interval,
    Polygon,
    Rectangle,
    SpaceTime,
    TimeInterval,
)
from jaxfound.physics._operators import (
    Field,
    axis_index,
    derivatives,
    directional_derivative,
    divergence,
    field,
    gradient,
    hessian,
    jacobian,
    laplacian,
    on_points,
    output_transform,
    partial,
    time_derivative,
)
from jaxfound.physics._pde import (
    PDE,
    Trainable,
    allen_cahn,
    black_scholes,
    burgers,
    coefficient,
    damped_oscillator,
    heat,
    helmholtz,
    pde,
    poisson,
    trainable,
    wave,
)
from jaxfound.physics._plot import plot_comparison
from jaxfound.physics._precision import cast, enable_float64
from jaxfound.physics._samplers import grid, halton, latin_hypercube, sample_unit, sobol, uniform
from jaxfound.physics._taylor import taylor2

__all__ = [
    # fields and operators
    "Field",
    "field",
    "output_transform",
    "on_points",
    "taylor2",
    "gradient",
    "jacobian",
    "hessian",
    "partial",
    "laplacian",
    "divergence",
    "time_derivative",
    "directional_derivative",
    "derivatives",
    "axis_index",
    # geometries and samplers
    "Geometry",
    "Interval",
    "TimeInterval",
    "Box",
    "Rectangle",
    "Disk",
    "Polygon",
    "SpaceTime",
    "uniform",
    "grid",
    "latin_hypercube",
    "halton",
    "sobol",
    "sample_unit",
    # PDEs
    "PDE",
    "pde",
    "Trainable",
    "trainable",
    "coefficient",
    "burgers",
    "poisson",
    "heat",
    "wave",
    "allen_cahn",
    "helmholtz",
    "black_scholes",
    "damped_oscillator",
    # constraints and losses
    "Constraint",
    "residual",
    "dirichlet",
    "neumann",
    "robin",
    "periodic",
    "initial",
    "initial_derivative",
    "observed",
    # reporting
    "plot_comparison",
    "mean_square",
    # training aids
    "residual_magnitude",
    "rar",
    "rad",
    "grad_norm_weights",
    "causal",
    # precision
    "enable_float64",
    "cast",
]
