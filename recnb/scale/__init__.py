"""Scale: out-of-core preparation with DuckDB (:mod:`.duckdb_prep`), the prepared-split layout shared by
both engines (:mod:`.prepared`), data-parallel training with ``torch.distributed`` (:mod:`.distributed`)
and the scaling bench (:mod:`.bench`). See ``docs/scale.md``."""
