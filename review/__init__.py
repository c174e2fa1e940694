"""Moderation: policy taxonomy, cases, decisions, escalation, appeals, reviewer wellness."""
