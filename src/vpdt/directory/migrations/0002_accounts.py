# API tokens come over from the api app (same table), gain a name, a last use and a
# revocation; the person's signed-in sessions get a row each (UserSession).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0001_initial'),
        ('api', '0003_apitoken_moves_to_directory'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ApiToken',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key_hash', models.CharField(max_length=64, unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='tạo lúc')),
                        ('expires_at', models.DateTimeField(verbose_name='hết hạn lúc')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL, verbose_name='cán bộ')),
                    ],
                    options={
                        'verbose_name': 'khóa truy cập API',
                        'verbose_name_plural': 'khóa truy cập API',
                        'db_table': 'api_apitoken',
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name='apitoken',
            name='name',
            field=models.CharField(blank=True, max_length=100, verbose_name='tên gợi nhớ'),
        ),
        migrations.AddField(
            model_name='apitoken',
            name='last_used_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='dùng lần cuối'),
        ),
        migrations.AddField(
            model_name='apitoken',
            name='revoked_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='thu hồi lúc'),
        ),
        migrations.CreateModel(
            name='UserSession',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('session_key', models.CharField(max_length=40, unique=True)),
                ('ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='địa chỉ')),
                ('user_agent', models.CharField(blank=True, max_length=255, verbose_name='trình duyệt')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='đăng nhập lúc')),
                ('last_seen', models.DateTimeField(default=django.utils.timezone.now, verbose_name='hoạt động lần cuối')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='login_sessions', to=settings.AUTH_USER_MODEL, verbose_name='cán bộ')),
            ],
            options={
                'verbose_name': 'phiên đăng nhập',
                'verbose_name_plural': 'phiên đăng nhập',
                'indexes': [models.Index(fields=['user', '-last_seen'], name='usersession_user_seen')],
            },
        ),
    ]
