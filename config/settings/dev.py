"""Local development and `make run`: debug on, embedded unless DATABASE_URL is set."""

from .base import *  # noqa: F403

DEBUG = True
