# The ApiToken model moves to vpdt.directory (the person's page manages their tokens); the
# table api_apitoken stays where it is: only Django's idea of which app owns it changes.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0002_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='ApiToken')],
            database_operations=[],
        ),
    ]
