"""Models only (their line-ups are recipes: :mod:`recnb.recipes`); they know nothing of notebooks, profiles or
files on disk. Every module of the package:

* :mod:`~recnb.models.base`: the contract every model keeps (``Fitted``, ``Recommender``);
* :mod:`~recnb.models.baselines`: popularity, re-find, ItemKNN, BPR-MF, recency weights;
* :mod:`~recnb.models.ease`: EASE^R, exact on any catalogue;
* :mod:`~recnb.models.cold`: rankers without item-level statistics (popularity by genre, random);
* :mod:`~recnb.models.autoencoder`: Mult-VAE, Mult-DAE and the feature autoencoder;
* :mod:`~recnb.models.sequence`: the RNN, GRU, LSTM and SASRec sequence recommenders;
* :mod:`~recnb.models.graph`: LightGCN and the graph adjacencies;
* :mod:`~recnb.models.text`: item text, sentence embeddings, the zero-shot and text-SASRec recommenders;
* :mod:`~recnb.models.semantic_ids`: items as short tuples of codes;
* :mod:`~recnb.models.generative`: the generative recommender over semantic IDs;
* :mod:`~recnb.models.softmax`, :mod:`~recnb.models.dropout`: the training kernels (fused full softmax,
  uniform-draw dropout);
* the package :mod:`~recnb.models.fusion`: one module per fusion family, and the ID + text hybrid.
"""
