"""Training: TrainState, make_step, fit, evaluate, callbacks, checkpoints."""
