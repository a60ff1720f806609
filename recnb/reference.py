"""Numbers from elsewhere: one versioned table of published and peer-library results, with citations.

A notebook never types a number it did not compute. When it compares its run with a paper or a peer
library, it reads the number from :data:`REFERENCES` through :func:`reference`, which returns the rows
with a ``label`` column ("published: ..." or "peer: ...") so that a table or a figure can never show them as
this run's numbers.

Each row says where the number comes from (``citation``: authors, venue, year, table or log), on which data
(``dataset``), under which protocol (``protocol``: split, candidate set, loss where it matters) and for which
model and metric. Two sources:

* ``published``: printed in a paper (or its authors' official repository), copied from the stored text of
  that table, which ``locator`` names;
* ``peer``: measured by this project with another library (RecBole) on the named data; ``locator`` names
  the commit or issue that recorded the run.

Protocols differ between rows and from this project's splits; a row is context, not a rival on the same
users. Bump :data:`VERSION` whenever a row is added, removed or changed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import pandas as pd
from .evaluate.names import HR10, NDCG10

VERSION = 3
SOURCES = ("published", "peer")


@dataclass(frozen=True)
class Reference:
    """One number from elsewhere. ``metric`` uses this project's names (``ndcg@10``, ``hr@10``, ...)."""

    source: str
    citation: str
    short: str
    dataset: str
    protocol: str
    model: str
    metric: str
    value: float
    locator: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"reference row {self.model}/{self.dataset}: source {self.source!r}, expected one of {SOURCES}")
        if not 0.0 <= self.value <= 1.0:
            raise ValueError(f"reference row {self.model}/{self.dataset}/{self.metric}: value {self.value} outside [0, 1]")


_TIGER = ("Rajput, Mehta, Singh, Keshavan, Vu, Heldt, Hong, Tay, Tran, Samost, Kula, Chi, Sathiamoorthy: "
          "Recommender Systems with Generative Retrieval. NeurIPS 2023, Table 1 (baseline row SASRec, "
          "Kang and McAuley, ICDM 2018)")
_TIGER_SHORT = "Rajput et al., NeurIPS 2023, Table 1"
_TIGER_PROTOCOL = ("Amazon 2014 5-core reviews as preprocessed by S3-Rec (same user and item counts as the files in "
                   "amazon-s3rec, Table 8 of the paper); leave-one-out: last item test, second-to-last validation; "
                   "Recall@k with one target equals HR@k. Candidate set of the baselines not stated in the table")
_TIGER_WHERE = ("arXiv:2305.05065, Table 1 (LaTeX label tab:sequential); copied from a stored copy of the table's "
                "LaTeX and checked against a second, independent extraction of the same table")

_ICL = ("Chen, Liu, Li, McAuley, Xiong: Intent Contrastive Learning for Sequential Recommendation. WWW 2022; "
        "expected test results of the released checkpoints, README of github.com/salesforce/ICLRec")
_ICL_SHORT = "Chen et al., WWW 2022, ICLRec README"
_ICL_PROTOCOL = ("S3-Rec files (data/ of salesforce/ICLRec); leave-one-out: last item test, second-to-last "
                 "validation; full ranking over all items (predict_full in src/trainers.py)")
_ICL_WHERE = "salesforce/ICLRec README.md at commit a81e49ac2d51bb9a269520c7d9281e240ad2f1de"

_ICS = ("Qin et al.: Intent Contrastive Learning with Cross Subsequences for "
        "Sequential Recommendation. WSDM 2024; evaluation of the released SASRec-encoder checkpoints, README of "
        "github.com/QinHsiu/ICSRec")
_ICS_SHORT = "Qin et al., WSDM 2024, ICSRec README"
_ICS_PROTOCOL = ("S3-Rec files; leave-one-out: last item test, second-to-last validation; full ranking over all "
                 "items in the ICLRec-family code, which scores the user's seen items 0 instead of masking them")
_ICS_WHERE = "QinHsiu/ICSRec README.md ('Evaluate Model', --encoder SAS) at commit 09b2d3fd73fef7718f06789b8b5cbf3e890c188d"
_ICS_NOTE = "released checkpoints; a public issue of the repository reports retraining falling short by .02-.03"

_RECBOLE = ("RecBole 1.2.1 (Zhao et al., RecBole: Towards a Unified, Comprehensive and Efficient Framework for "
            "Recommendation Algorithms, CIKM 2021), run by this project")
_RECBOLE_PROTOCOL = ("RecBole's own leave-one-out split of ML-100K (not this project's split), full ranking, "
                     "full-softmax cross-entropy, max length 50")

REFERENCES: tuple[Reference, ...] = (
    # --- published: SASRec on the S3-Rec Amazon files (TIGER's Table 1) ---
    *(Reference("published", _TIGER, _TIGER_SHORT, ds, _TIGER_PROTOCOL, "SASRec", metric, value, _TIGER_WHERE)
      for ds, metric, value in [
          ("amazon-sports", "hr@5", 0.0233), ("amazon-sports", "ndcg@5", 0.0154),
          ("amazon-sports", HR10, 0.0350), ("amazon-sports", NDCG10, 0.0192),
          ("amazon-toys", "hr@5", 0.0463), ("amazon-toys", "ndcg@5", 0.0306),
          ("amazon-toys", HR10, 0.0675), ("amazon-toys", NDCG10, 0.0374)]),
    # --- published: ICLRec (a SASRec encoder with intent contrastive learning), official checkpoints ---
    *(Reference("published", _ICL, _ICL_SHORT, ds, _ICL_PROTOCOL, "ICLRec", metric, value, _ICL_WHERE)
      for ds, metric, value in [
          ("amazon-sports", HR10, 0.0437), ("amazon-sports", NDCG10, 0.0238),
          ("amazon-sports", "hr@20", 0.0646), ("amazon-sports", "ndcg@20", 0.0291),
          ("amazon-toys", HR10, 0.0834), ("amazon-toys", NDCG10, 0.0480),
          ("amazon-toys", "hr@20", 0.1138), ("amazon-toys", "ndcg@20", 0.0557)]),
    # --- published: TIGER itself (generative retrieval over semantic IDs), same table ---
    *(Reference("published", _TIGER.replace("baseline row SASRec, Kang and McAuley, ICDM 2018", "row TIGER"),
                _TIGER_SHORT, ds, _TIGER_PROTOCOL, "TIGER", metric, value, _TIGER_WHERE)
      for ds, metric, value in [
          ("amazon-sports", HR10, 0.0400), ("amazon-sports", NDCG10, 0.0225),
          ("amazon-toys", HR10, 0.0712), ("amazon-toys", NDCG10, 0.0432)]),
    # --- published: ICSRec (intent contrastive learning over cross subsequences, SASRec encoder) ---
    *(Reference("published", _ICS, _ICS_SHORT, ds, _ICS_PROTOCOL, "ICSRec", metric, value, _ICS_WHERE, note=_ICS_NOTE)
      for ds, metric, value in [
          ("amazon-sports", HR10, 0.0565), ("amazon-sports", NDCG10, 0.0335),
          ("amazon-toys", HR10, 0.1055), ("amazon-toys", NDCG10, 0.0657)]),
    # --- peer: RecBole 1.2.1 on ML-100K, run by this project ---
    Reference("peer", _RECBOLE + " on 2 CPU cores", "RecBole 1.2.1, CPU run", "ml-100k", _RECBOLE_PROTOCOL,
              "GRU4Rec", NDCG10, 0.0481, "notebook 04, cell 6 of commit 7ccf592"),
    Reference("peer", _RECBOLE + " on 2 CPU cores", "RecBole 1.2.1, CPU run", "ml-100k", _RECBOLE_PROTOCOL,
              "SASRec", NDCG10, 0.0581, "notebook 04, cell 6 of commit 7ccf592",
              note="stopped by a time limit while validation was still improving"),
    Reference("peer", _RECBOLE + " on one H200 GPU", "RecBole 1.2.1, GPU run", "ml-100k", _RECBOLE_PROTOCOL,
              "GRU4Rec", NDCG10, 0.0557, "issue 17 (speed), 'Measured anchors'",
              note="early stopping after 34 epochs"),
    Reference("peer", _RECBOLE + " on one H200 GPU", "RecBole 1.2.1, GPU run", "ml-100k", _RECBOLE_PROTOCOL,
              "SASRec", NDCG10, 0.0589, "issue 17 (speed), 'Measured anchors'",
              note="early stopping after 33 epochs"),
)

COLUMNS = [f.name for f in fields(Reference)]


@dataclass(frozen=True)
class ScalingClaim:
    """A published scaling result: the axis it scales, its exponent where the paper prints one (``None``
    where it reports a power law without a single exponent), the range of model sizes it covers."""

    citation: str
    domain: str
    axis: str
    exponent: float | None
    sizes: str
    locator: str


_KAPLAN = "Kaplan et al., Scaling Laws for Neural Language Models, arXiv:2001.08361 (2020)"
_KAPLAN_SIZES = "768 to 1.5 billion non-embedding parameters"
SCALING: tuple[ScalingClaim, ...] = (
    ScalingClaim(_KAPLAN, "language modelling", "model size N (non-embedding parameters)", 0.076, _KAPLAN_SIZES,
                 "section 1.2, L(N) = (N_c / N)^α_N"),
    ScalingClaim(_KAPLAN, "language modelling", "data size D (tokens)", 0.095, _KAPLAN_SIZES,
                 "section 1.2, L(D) = (D_c / D)^α_D"),
    ScalingClaim(_KAPLAN, "language modelling", "training compute C (compute-efficient frontier)", 0.050,
                 _KAPLAN_SIZES, "section 1.2, L(C_min) = (C_c / C_min)^α_C"),
    ScalingClaim("Zhang et al., Scaling Law of Large Sequential Recommendation Models, RecSys 2024",
                 "ID-only sequential recommendation", "model size", None, "up to 0.8 billion parameters",
                 "abstract: the law holds, also with constrained data, and predicts the two largest models' test loss"),
    ScalingClaim("Zhai et al., Actions Speak Louder than Words (HSTU), ICML 2024", "industrial generative recommendation",
                 "training compute", None, "up to 1.5 trillion parameters",
                 "abstract: model quality a power law of training compute across three orders of magnitude"),
)
"""Published scaling results the notebooks set their own fitted exponents beside (labelled as published)."""


def scaling_claims() -> pd.DataFrame:
    """:data:`SCALING` as a table, one row per claim, with ``label`` = "published: <citation>"."""
    table = pd.DataFrame([asdict(c) for c in SCALING])
    table["exponent"] = table["exponent"].astype(object).where(table["exponent"].notna(), "not a single number")
    return table.assign(label="published: " + table["citation"])


def reference(dataset: str | None = None, model: str | None = None, metric: str | None = None,
              source: str | None = None) -> pd.DataFrame:
    """Rows of :data:`REFERENCES` matching every given filter (case-insensitive), as a DataFrame with the
    columns of :class:`Reference` plus ``label`` ("published: <short citation>" / "peer: <short citation>"),
    the string to show next to the number wherever it appears."""
    filters = {"dataset": dataset, "model": model, "metric": metric, "source": source}
    if source is not None and source not in SOURCES:
        raise ValueError(f"reference(source={source!r}): expected one of {SOURCES}")
    table = pd.DataFrame([asdict(r) for r in REFERENCES], columns=COLUMNS)
    for column, wanted in filters.items():
        if wanted is not None:
            table = table[table[column].str.lower() == wanted.lower()]
    table = table.assign(label=table["source"] + ": " + table["short"])
    return table.reset_index(drop=True)


__all__ = ["COLUMNS", "REFERENCES", "Reference", "SCALING", "SOURCES", "ScalingClaim", "VERSION", "reference",
           "scaling_claims"]
