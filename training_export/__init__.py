"""Label resolution, immutable snapshots, export formats and fine-tuning jobs."""
