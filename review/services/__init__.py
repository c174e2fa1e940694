"""Review's writes, one module per concern; import from the modules themselves.

- ``policy``: policy versions (the default taxonomy, publishing a new version), review settings.
- ``queue``: claim (one SQL statement), heartbeat, release; exposure caps and breaks.
- ``cases``: create, decide, escalate, appeal; QA sampling and recording.
- ``sla``: escalating cases whose SLA is breached (the beat task's service).
- ``webhooks``: endpoints, creating deliveries for decisions, re-delivering dead letters.

This package's ``__init__`` imports nothing, so ``review.tasks`` can import ``sla`` while
``cases`` imports ``review.tasks`` to schedule deliveries.
"""
