"""Models only (their line-ups are recipes: :mod:`recnb.recipes`); they know nothing of notebooks, profiles or
files on disk. Each module's docstring says what it holds (docs/architecture.md,
layer ``recnb.models``): the contract (:mod:`~recnb.models.base`), the baselines and EASE, the cold-item rankers,
the autoencoders, sequence, graph, text and generative recommenders with semantic IDs, the training kernels
(:mod:`~recnb.models.softmax`, :mod:`~recnb.models.dropout`) and the package :mod:`~recnb.models.fusion`.
"""
