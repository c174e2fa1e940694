"""Label resolution, immutable snapshots, export formats and fine-tuning jobs.

Export, in short (the why is in each module):

- ``resolution.py``: majority, quality-weighted majority (log-odds of smoothed gold accuracy) and
  Dawid-Skene (EM, numpy); pure functions. Adjudications, then gold answers, override the votes.
- ``sources.py``: the rows. PostgreSQL: one ordered query through a server-side cursor; for
  single-label majority the answers are grouped per item by a merge join and the split bucket is
  hashed by the database, while a background thread fetches the next batch (``prefetched``).
  Elsewhere: the ORM in id-ordered chunks. Tests hold all paths to the same bytes.
- ``build.py``: writes a snapshot into ``SNAPSHOT_DIR/tmp``, hashing as it goes, then fsync and
  ``os.replace`` to ``<sha[:2]>/<sha>.<ext>`` (read-only) and only then marks the row ready: a
  crash leaves no visible snapshot. One REPEATABLE READ transaction sees one state of the data.
- ``formats/``: JSONL, chat SFT, formula-safe CSV, Parquet, an HF ``save_to_disk`` folder (as one
  deterministic tar), CoNLL BIO, Label Studio JSON (and back to import records).
- Lineage: ``SnapshotRange`` rows hold runs of consecutive item ids (a bulk import of a million
  items is a handful of rows; the worst case is one row per item), written as the file is;
  ``selectors.snapshots_for_item`` and ``model_versions_for_snapshot`` (JSON ``lineage``/``metrics``
  lookups on ``inference.ModelVersion``). ``services.erase_item`` deletes an item, marks the
  snapshots that hold it and lists the model versions trained on them; a sha256 of the external id
  keeps the record out of later snapshots even when it is imported again.
- Access: internal ML engineers and admins only (``selectors.check_export``), token scope
  ``export``; raw text needs internal clearance and a reason, and is audited (``privacy.audit``).
"""
