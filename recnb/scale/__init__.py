"""Scale: out-of-core preparation with DuckDB (:mod:`.duckdb_prep`), the prepared-split layout shared by
both engines (:mod:`.prepared`), data-parallel training with ``torch.distributed`` (:mod:`.distributed`),
the capped evaluation (:mod:`.evaluation`) and the ``data prepare`` / ``train`` commands (:mod:`.cli`); its
bench is :mod:`recnb.bench.scale`. See ``docs/scale.md``."""
