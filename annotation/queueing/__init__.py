"""Queues: claiming items under a lease, heartbeats, skips, submissions and undo.

How it works (the why is in each module):

- **Slots.** An item needs ``project.overlap`` distinct annotators. The item row carries its own
  bookkeeping: ``annotation_count`` and ``lease_count`` leases that last until ``leased_until``.
  A claim takes an item when ``annotation_count + live leases < overlap`` where the live leases are
  ``lease_count`` if ``leased_until`` is still ahead, else none. So an expired lease frees its slot
  by itself, with no cron: time passing is enough. The count is conservative (an expired lease can
  keep counting until the last lease on the item runs out) and never lets an item be over-assigned.
- **One statement.** On PostgreSQL a claim is one SQL statement: pick the next free item over a
  partial index (open, non-gold, by priority desc then id), lock it ``FOR UPDATE SKIP LOCKED``,
  bump its counters and insert the lease. Deciding from the locked row only is what makes it safe:
  a row changed since the statement's snapshot is re-checked by PostgreSQL before it is locked.
  Elsewhere (SQLite, embedded) the same steps run in one ``BEGIN IMMEDIATE`` transaction.
- **Exact recount.** Every write that ends or revives a lease (submit, skip, release, undo) locks
  the item first and then recounts its live leases from the lease table, in a later statement whose
  snapshot sees every claim that locked the item before.
- **Routing.** Vendor users get items of projects routed to their vendor, never internal-only
  items or items pinned to another vendor; unpinned items are split between the routed vendors by
  share (``routing.py``). Internal staff get any item of their organization's projects.
- **Never twice.** An annotator never gets an item they annotated or skipped (unique constraints
  back it); they hold at most one active lease per project, so a repeated claim returns it.
- **Cheap hot paths.** A claim is two statements (the project with its routes, then the claim)
  and commits without waiting for the WAL flush (a lease lost in a crash only frees its item); a
  submit is two (lock, then one write) and commits durably. On PostgreSQL these statements are
  prepared once per connection (``sql.py``): planning the claim costs more than running it.

Modules: ``claim.py`` (the claim statements), ``routing.py`` (vendor shares and pins),
``selectors.py`` (claim context, queue counts), ``services.py`` (the writes), ``conf.py``
(settings: ``UNDO_SECONDS``, ``QUEUE_COUNTS_TTL``, ``QUEUE_EVENT_INTERVAL`` in ``QUORUM``).
Known limits: an expired lease can keep counting (conservatively) until the last lease on the
same item runs out, so with overlap > 1 an abandoned slot may come back up to one lease time late;
gold items are served in priority, then id order, the same sequence for everyone.
"""
