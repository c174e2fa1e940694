"""Projects and label schemas, items, import, queues and leases, annotations, gold, agreement."""
