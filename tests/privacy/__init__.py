"""Tests of the privacy app: the PII engine, operators, policies and the redaction interface."""
