"""PII detection and redaction, encrypted raw content, reveal audit."""
