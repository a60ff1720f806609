"""Models only (their line-ups are recipes: :mod:`recnb.recipes`); they know nothing of notebooks, profiles or
files on disk (docs/architecture.md, layer ``recnb.models``). Its modules: :mod:`~recnb.models.base` (the
contract), :mod:`~recnb.models.baselines`, :mod:`~recnb.models.ease`, :mod:`~recnb.models.cold`,
:mod:`~recnb.models.autoencoder`, :mod:`~recnb.models.sequence`, :mod:`~recnb.models.graph`,
:mod:`~recnb.models.text`, :mod:`~recnb.models.semantic_ids`, :mod:`~recnb.models.generative`, the training
kernels :mod:`~recnb.models.softmax` and :mod:`~recnb.models.dropout`, and the package
:mod:`~recnb.models.fusion` (each says what it holds).
"""
