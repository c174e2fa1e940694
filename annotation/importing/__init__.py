"""The import pipeline: parse → validate → redact → store → pre-label, with explicit stages."""
