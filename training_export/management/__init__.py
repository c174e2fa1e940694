"""Management commands of training_export."""
