"""The ``privacy.redaction`` interface the import pipeline and the views call."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from privacy.engine import EntityType
from privacy.redaction import REDACTION_VERSION, Redactor, redactor_for_project

MASTER = b"test-master-key-0123456789"
TEXT = "Hi, I am Jane Doe (jane@example.com, +44 20 7946 0958). Card 4111 1111 1111 1111. Jane Doe again."


def test_version_bumped():
    assert REDACTION_VERSION == 3


def test_redact_is_the_restricted_view():
    r = redactor_for_project(7, master_key=MASTER)
    assert r.redact(TEXT) == "Hi, I am <PERSON> (<EMAIL>, <PHONE>). Card <CARD>. <PERSON> again."
    assert r.redact(TEXT) == r.redact_for(TEXT, "restricted")
    assert r.redact("") == ""


def test_redact_for_clearances():
    r = redactor_for_project(7, master_key=MASTER)
    assert r.redact_for(TEXT, "standard") == (
        "Hi, I am <PERSON_1> (<EMAIL_1>, <PHONE_1>). Card <CARD>. <PERSON_1> again."
    )
    assert r.redact_for(TEXT, "internal") == TEXT
    with pytest.raises(ValueError):
        r.redact_for(TEXT, "vendor")


def test_detect_returns_findings():
    kinds = [f.type for f in redactor_for_project(1, master_key=MASTER).detect(TEXT)]
    assert kinds == [
        EntityType.PERSON,
        EntityType.EMAIL,
        EntityType.PHONE,
        EntityType.CARD,
        EntityType.PERSON,
    ]


def test_project_keys_differ_and_are_not_shown():
    a, b = redactor_for_project(1, master_key=MASTER), redactor_for_project(2, master_key=MASTER)
    assert isinstance(a, Redactor) and a.pseudonym_key != b.pseudonym_key
    assert "key" not in repr(a).lower() or a.pseudonym_key.hex() not in repr(a)


def test_master_key_defaults_to_django_settings():
    from django.conf import settings

    if not settings.configured:
        pytest.skip("Django settings are not configured in this run")
    r = redactor_for_project(3)
    assert r.redact("mail jane@example.com") == "mail <EMAIL>"


def test_engine_does_not_import_django():
    code = "import sys, privacy.engine; privacy.engine.detect('Jane Doe'); sys.exit('django' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0
