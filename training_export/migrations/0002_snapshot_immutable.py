"""A ready snapshot's content fields cannot change, whoever writes (PostgreSQL trigger)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

# Only erasure marks (erased_items, erased_at) may change on a ready row; deleting it is allowed
# (the project's deletion cascades) but a ready row never goes back to another status.
CREATE = """
CREATE OR REPLACE FUNCTION training_export_snapshot_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'ready' AND (
        NEW.status IS DISTINCT FROM OLD.status OR NEW.sha256 IS DISTINCT FROM OLD.sha256
        OR NEW.file_name IS DISTINCT FROM OLD.file_name OR NEW.size_bytes IS DISTINCT FROM OLD.size_bytes
        OR NEW.row_count IS DISTINCT FROM OLD.row_count OR NEW.counts IS DISTINCT FROM OLD.counts
        OR NEW.format IS DISTINCT FROM OLD.format OR NEW.strategy IS DISTINCT FROM OLD.strategy
        OR NEW.level IS DISTINCT FROM OLD.level OR NEW.filters IS DISTINCT FROM OLD.filters
        OR NEW.split IS DISTINCT FROM OLD.split OR NEW.project_id IS DISTINCT FROM OLD.project_id
        OR NEW.code_version IS DISTINCT FROM OLD.code_version
    ) THEN
        RAISE EXCEPTION 'snapshot % is ready and immutable', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER training_export_snapshot_immutable BEFORE UPDATE ON training_export_snapshot
    FOR EACH ROW EXECUTE FUNCTION training_export_snapshot_immutable();
"""
DROP = """
DROP TRIGGER IF EXISTS training_export_snapshot_immutable ON training_export_snapshot;
DROP FUNCTION IF EXISTS training_export_snapshot_immutable();
"""


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("training_export", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
