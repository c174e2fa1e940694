"""manage.py commands of training_export (snapshots, imports, fine-tuning)."""
