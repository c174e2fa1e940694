# Webhook signing secrets are sealed at rest (privacy.content); existing ones are converted in place.

from django.db import migrations, models


def seal_existing(apps, schema_editor):
    from privacy.content import seal_secret

    Endpoint = apps.get_model("review", "WebhookEndpoint")
    for endpoint in Endpoint.objects.only("pk", "secret"):
        endpoint.secret_sealed = seal_secret(endpoint.secret, purpose="webhook")
        endpoint.save(update_fields=["secret_sealed"])


class Migration(migrations.Migration):

    dependencies = [
        ('review', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='webhookendpoint',
            name='secret_sealed',
            field=models.BinaryField(default=b''),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='webhookendpoint',
            name='secret',
        ),
    ]
