"""Settings split by environment: base (shared, mode detection), dev, production, test."""
