"""manage.py commands of the privacy app: detect_pii."""
