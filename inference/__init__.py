"""The local model: store and registry, runtimes, label scoring, pre-labeling and triage."""
