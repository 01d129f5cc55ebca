"""A stored key the server may use alone keeps its ready form beside its file (checked once,
opened without cryptography's RSA check: vpdt.signing.stored_keys). Empty for existing keys:
the job signing.ready_keys, or the first opening, fills it. A default in the database too, so
that a process of the previous release still inserts keys while the new one rolls out."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('signing', '0002_package_keys'),
    ]

    operations = [
        migrations.AddField(
            model_name='signingkey',
            name='ready_encrypted',
            field=models.BinaryField(blank=True, db_default=b'', default=b'', verbose_name='khóa đã kiểm tra (đã mã hóa)'),
        ),
    ]
