"""Models only (their line-ups are recipes: :mod:`recnb.recipes`): :mod:`~recnb.models.base` (the contract every
model keeps), :mod:`~recnb.models.baselines`, :mod:`~recnb.models.autoencoder`, :mod:`~recnb.models.sequence`,
:mod:`~recnb.models.graph` and the package :mod:`~recnb.models.fusion` (one module per fusion family)."""
