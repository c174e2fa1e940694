# Raw item text becomes sealed (AES-GCM) beside two stored views; existing rows are converted in place.

import django.db.models.deletion
from django.db import migrations, models


def seal_existing(apps, schema_editor):
    # The live privacy modules, not historical models: sealing and redaction are code, not schema.
    from privacy.content import seal_text
    from privacy.redaction import REDACTION_VERSION, project_redactor

    Item = apps.get_model("annotation", "Item")
    project_ids = Item.objects.values_list("project_id", flat=True).distinct()
    for project_id in project_ids:
        redactor = project_redactor(project_id)
        last = 0
        while True:
            chunk = list(
                Item.objects.filter(project_id=project_id, pk__gt=last).order_by("pk")
                .only("pk", "external_id", "text")[:1000]
            )
            if not chunk:
                break
            views = redactor.views([i.text for i in chunk])
            for item, view in zip(chunk, views, strict=True):
                item.text_sealed = seal_text(item.text, project_id=project_id, external_id=item.external_id)
                item.text_redacted, item.text_pseudonymized = view
                item.redaction_version = REDACTION_VERSION
            Item.objects.bulk_update(
                chunk, ["text_sealed", "text_redacted", "text_pseudonymized", "redaction_version"]
            )
            last = chunk[-1].pk


class Migration(migrations.Migration):

    dependencies = [
        ('annotation', '0005_item_fillfactor'),
        ('privacy', '0001_initial'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='item',
            name='item_queue_idx',
        ),
        migrations.AddField(
            model_name='item',
            name='text_pseudonymized',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='item',
            name='text_sealed',
            field=models.BinaryField(blank=True, default=b''),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='item',
            name='text',
        ),
        migrations.RemoveField(
            model_name='importrow',
            name='text',
        ),
        migrations.AddField(
            model_name='importrow',
            name='text_pseudonymized',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='importrow',
            name='text_sealed',
            field=models.BinaryField(default=b''),
        ),
        migrations.AlterField(
            model_name='item',
            name='import_job',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='annotation.importjob'),
        ),
    ]
