"""The environment variables recnb reads or writes, named once.

The report runner talks to the notebooks it runs through environment variables (the notebooks run in
another process). Every such channel is named here and read through the helpers below, never by a literal
elsewhere in the package:

* ``RECNB_RECORD_FILE`` (:data:`RECORD_FILE`): where :func:`recnb.report.record` appends the numbers;
* ``RECNB_DATA_LOG`` (:data:`DATA_LOG`): where :func:`recnb.data.load_dataset` appends the checksums of
  the files it loaded (the manifest's provenance);
* ``RECNB_DATA_PATH`` (:data:`DATA_PATH`): extra folders searched for raw data (``os.pathsep``-separated);
* ``RECNB_ROOT`` (:data:`ROOT`): the checkout root, when the current directory is not inside it;
* ``TQDM_DISABLE`` (:data:`NO_PROGRESS`): set by the runner so that progress bars do not flood the HTML.
"""

from __future__ import annotations

import os

RECORD_FILE = "RECNB_RECORD_FILE"
DATA_LOG = "RECNB_DATA_LOG"
DATA_PATH = "RECNB_DATA_PATH"
ROOT = "RECNB_ROOT"
NO_PROGRESS = "TQDM_DISABLE"


def show_progress(progress: bool = True) -> bool:
    """Whether to draw a progress bar: the caller's ``progress`` unless ``TQDM_DISABLE`` is set."""
    return progress and not os.environ.get(NO_PROGRESS)


__all__ = ["RECORD_FILE", "DATA_LOG", "DATA_PATH", "ROOT", "NO_PROGRESS", "show_progress"]
