"""Data layer: canonical schema, sources, fetching, caching, simulation (DESIGN.md section 3)."""

from .cache import available, load_dataset, loaded_checksums, locate
from .fetch import ChecksumError
from .schema import EVENT_TYPES, Dataset, DataValidationError, validate_events

__all__ = ["available", "load_dataset", "loaded_checksums", "locate", "ChecksumError", "EVENT_TYPES",
           "Dataset", "DataValidationError", "validate_events"]
