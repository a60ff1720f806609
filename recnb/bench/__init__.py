"""Benchmarks, ``python -m recnb bench``: the only place timings are measured and speed goals checked
(a test never asserts a wall-clock time).

* :mod:`.speed`: evaluation, baseline fits and the training runs on ML-100K and a simulated million-event
  log, against the speed goals (``GOALS``, ``PRIVACY_GOAL``, ``check_goals``); ``reports/bench.json``.
* :mod:`.ingest`: ``--data``, time and peak memory of loading a 10-million-event CSV in a fresh process.
* :mod:`.scale`: ``--scale``, how preparation, evaluation and training grow with the number of events.
* :mod:`.privacy`: ``--privacy``, notebook 11's Flower, Opacus and attack sections at one profile.
* :mod:`.flops`: the one FLOP counter (SASRec, GRU, the generative model, LightGCN) and the GEMM floor.
* :mod:`.child`: running one step in a fresh process and reading its peak memory.
"""
