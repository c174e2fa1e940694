"""manage.py seed_demo: create the demo organization (once) and print the demo logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from frontend.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create demo data (idempotent) and print the demo logins."

    def handle(self, *args: Any, **opts: Any) -> None:
        logins = seed_demo()
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.username:<22} {login.role:<16} {login.vendor}")
