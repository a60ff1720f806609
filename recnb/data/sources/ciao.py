"""Ciao product ratings with categories and a directed trust network (Tang, Gao & Liu, WSDM 2012).

``rating.mat`` holds ``rating`` (n x 5 int: user, product, category, rating, helpfulness) and
``trust.mat`` holds ``trustnetwork`` (n x 2: user a trusts user b). No timestamps. The 34 ratings of 0
lie outside the 1-5 scale: they are removed here and the removal is written to the ledger. The
helpfulness column is not part of the canonical log and is not used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import scipy.io

from ..fetch import verify
from ..schema import Dataset, DataValidationError, validate_events
from ._common import ledger_row, one_category_per_item

FOLDER = "ciao-tang2012"
FILES = {
    "rating.mat": "aa793568686285a93286ba9e56954fcce347370ad2e58c785760362ab12d2c2c",
    "trust.mat": "0a8963ed22e6b534ce8d14e478f54ce0af6f5a3440a67ed5a35e62486580ce3a",
}
LICENCE = "Not verified; research use with citations of Tang et al., WSDM 2012 and KDD 2012."


def _matrix(path: Path, variable: str, width: int) -> np.ndarray:
    mat = scipy.io.loadmat(path)
    if variable not in mat:
        found = [k for k in mat if not k.startswith("__")]
        raise DataValidationError(str(path), None, variable, found, f"a MATLAB variable {variable!r}",
                                  "missing variable; found")
    arr = np.asarray(mat[variable])
    if arr.ndim != 2 or arr.shape[1] != width:
        raise DataValidationError(str(path), None, variable, arr.shape, f"shape (n, {width})", "bad shape")
    return arr.astype("int64")


def parse(folder: Path) -> Dataset:
    """Parse both ``.mat`` files; rows are numbered as matrix rows (1-based) in errors."""
    files = {f: verify(folder / f, sha) for f, sha in FILES.items()}
    r_path = folder / "rating.mat"
    r = _matrix(r_path, "rating", 5)
    zero = r[:, 3] == 0
    ledger = [ledger_row("rating outside 1-5 (zero)", len(r), int((~zero).sum()),
                         f"{int(zero.sum())} ratings of 0 removed (not on the 1-5 scale)")]
    r = r[~zero]
    lines = np.flatnonzero(~zero) + 1
    frame = pd.DataFrame({"user_id": r[:, 0], "item_id": r[:, 1], "event": "rating",
                          "value": r[:, 3].astype("float64"), "timestamp": pd.NaT})
    events = validate_events(frame, str(r_path), lines, value_ranges={"rating": (1.0, 5.0)})
    items, cat_ledger = one_category_per_item(events["item_id"], pd.Series(r[:, 2]).astype("string"))
    t = _matrix(folder / "trust.mat", "trustnetwork", 2)
    edges = pd.DataFrame({"user_id": t[:, 0], "other_id": t[:, 1],
                          "kind": pd.Series("trust", index=range(len(t)), dtype="string")})
    return Dataset(name="ciao", events=events, items=items, edges=edges,
                   source=f"../shared/data/{FOLDER} (Tang's Ciao via HKUDS/HGCL)", licence=LICENCE, files=files,
                   ledger=pd.concat([pd.DataFrame(ledger), cat_ledger], ignore_index=True),
                   notes=["No timestamps: order-dependent models are skipped on this dataset.",
                          "Trust links are directed (a trusts b)."], validate=False)
