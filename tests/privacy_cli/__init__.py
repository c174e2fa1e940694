"""Tests of manage.py detect_pii, the PII engine on JSON lines."""
