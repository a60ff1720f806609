"""Data layer (DESIGN.md section 3); it knows nothing of models. Every module of the package:

* :mod:`~recnb.data.schema`: the canonical event log and its side tables, validated on construction;
* :mod:`~recnb.data.sources`: the registry of data sources (one module per source) and their parsers;
* :mod:`~recnb.data.readers`: strict readers of raw text files (file, row and column in every error);
* :mod:`~recnb.data.fetch`: finding, fetching and checksumming raw files;
* :mod:`~recnb.data.cache`: locating a dataset, parsing it once, the self-checking Parquet cache;
* :mod:`~recnb.data.preprocess`: cleaning rules with a ledger, the article's normalisations;
* :mod:`~recnb.data.describe`: descriptive statistics of a log (stage counts, activity, time);
* :mod:`~recnb.data.features`: per-user and per-item behaviour features;
* :mod:`~recnb.data.split`: the evaluation protocol's :class:`~recnb.data.split.Split` and its derived splits
  (restricted inputs, items held out of training with rankings among candidates);
* :mod:`~recnb.data.stream`: the stream split, a log's test period replayed event by event;
* :mod:`~recnb.data.simulate`: a shop simulator with planted signal;
* :mod:`~recnb.data.export`: a split written to disk for a peer library.
"""

from .cache import available, load_dataset, loaded_checksums, locate
from .fetch import ChecksumError
from .schema import EVENT_TYPES, Dataset, DataValidationError, validate_events

__all__ = ["available", "load_dataset", "loaded_checksums", "locate", "ChecksumError", "EVENT_TYPES",
           "Dataset", "DataValidationError", "validate_events"]
