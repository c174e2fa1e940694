"""Settings for the queue bench's server: the services settings as deployed, DEBUG off.

The three ASGI fixes this module once carried now live in the platform's own settings: the
PostgreSQL connection pool (config/settings/base.py), one Redis cache client per process
(config/cache.py) and a synchronous middleware chain (the sync-only canary tripwire closes it, so
Django runs the chain in one thread rather than hopping threads per middleware).
"""

from __future__ import annotations

from config.settings.base import *  # noqa: F403

DEBUG = False
