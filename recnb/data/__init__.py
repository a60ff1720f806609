"""Data layer (DESIGN.md section 3); it knows nothing of models. Its modules: :mod:`~recnb.data.schema`,
:mod:`~recnb.data.sources`, :mod:`~recnb.data.readers`, :mod:`~recnb.data.fetch`, :mod:`~recnb.data.cache`,
:mod:`~recnb.data.preprocess`, :mod:`~recnb.data.describe`, :mod:`~recnb.data.features`,
:mod:`~recnb.data.split`, :mod:`~recnb.data.stream`, :mod:`~recnb.data.simulate` and :mod:`~recnb.data.export`
(each says what it holds)."""

from .cache import available, load_dataset, loaded_checksums, locate
from .fetch import ChecksumError
from .schema import EVENT_TYPES, Dataset, DataValidationError, validate_events

__all__ = ["available", "load_dataset", "loaded_checksums", "locate", "ChecksumError", "EVENT_TYPES",
           "Dataset", "DataValidationError", "validate_events"]
