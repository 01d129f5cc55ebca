"""One key store per agency: a SigningKey may be the agency's package key (edXML XML-DSig),
which the exchange kept in its own AgencyKey table until exchange migration 0004 moved them
here. One active seal and one active package key per agency."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0001_initial'),
        ('signing', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='signingkey',
            name='signing_key_one_active_per_agency',
        ),
        migrations.AddField(
            model_name='signingkey',
            name='purpose',
            field=models.CharField(choices=[('documents', 'Ký văn bản (chữ ký cá nhân, con dấu cơ quan)'), ('packages', 'Chỉ ký gói tin liên thông (edXML)')], default='documents', max_length=10, verbose_name='dùng để'),
        ),
        migrations.AddConstraint(
            model_name='signingkey',
            constraint=models.UniqueConstraint(condition=models.Q(('active', True), ('agency__isnull', False), ('purpose', 'documents')), fields=('agency',), name='signing_key_one_active_per_agency'),
        ),
        migrations.AddConstraint(
            model_name='signingkey',
            constraint=models.UniqueConstraint(condition=models.Q(('active', True), ('agency__isnull', False), ('purpose', 'packages')), fields=('agency',), name='signing_key_one_package_key_per_agency', violation_error_message='Cơ quan đã có một khóa ký gói tin đang dùng.'),
        ),
        migrations.AddConstraint(
            model_name='signingkey',
            constraint=models.CheckConstraint(condition=models.Q(('purpose', 'documents'), models.Q(('agency__isnull', False), ('kind', 'software')), _connector='OR'), name='signing_key_package_key_is_an_agency_file', violation_error_message='Khóa ký gói tin phải là tệp khóa PKCS#12 của một cơ quan.'),
        ),
    ]
