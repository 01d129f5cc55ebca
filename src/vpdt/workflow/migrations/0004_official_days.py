"""Each year's official days off and working days (OfficialDay), over the `holidays` package's
Vietnam calendar; the swapped days and days in lieu of the hand-written table that
workflow/holidays.py kept until now (2025-2027) are carried over, as literals."""

import datetime as dt

from django.db import migrations, models

D = dt.date
OLD_TABLE = "Bảng ngày nghỉ trước đây của vpdt (workflow/holidays.py)"
COMPUTED = "Tính theo Bộ luật Lao động 2019 (bảng trước đây): đối chiếu với thông báo năm 2027 và sửa"
CARRIED = [
    (D(2025, 4, 26), "work", "Làm bù (thứ Bảy) cho ngày nghỉ hoán đổi 02/5", OLD_TABLE),
    (D(2025, 5, 2), "off", "Nghỉ hoán đổi (làm bù thứ Bảy 26/4)", OLD_TABLE),
    (D(2026, 4, 27), "off", "Giỗ Tổ Hùng Vương (nghỉ bù)", OLD_TABLE),
    # Tết Đinh Mùi: mùng 1 is Saturday 06/02/2027; the table had 05/02 - 09/02 plus two days
    # in lieu (10, 11/02), so 04/02 works.
    (D(2027, 2, 4), "work", "Ngày làm việc (Tết Đinh Mùi nghỉ từ 05/02)", COMPUTED),
    (D(2027, 2, 10), "off", "Tết Nguyên đán (nghỉ bù)", COMPUTED),
    (D(2027, 2, 11), "off", "Tết Nguyên đán (nghỉ bù)", COMPUTED),
    (D(2027, 5, 3), "off", "Quốc tế Lao động (nghỉ bù cho thứ Bảy 1/5)", COMPUTED),
]


def carry(apps, schema_editor):
    OfficialDay = apps.get_model("workflow", "OfficialDay")
    db = schema_editor.connection.alias
    for day, kind, name, decision in CARRIED:
        OfficialDay.objects.using(db).get_or_create(day=day, defaults={"kind": kind, "name": name,
                                                                       "decision": decision})


class Migration(migrations.Migration):

    dependencies = [
        ('workflow', '0003_follow_indexes_in_meta'),
    ]

    operations = [
        migrations.CreateModel(
            name='OfficialDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(unique=True, verbose_name='ngày')),
                ('kind', models.CharField(choices=[('off', 'Ngày nghỉ (nghỉ bù, nghỉ hoán đổi)'), ('work', 'Ngày làm việc (làm bù thứ Bảy, làm việc thay ngày nghỉ)')], max_length=4, verbose_name='loại')),
                ('name', models.CharField(help_text='Ví dụ: Nghỉ hoán đổi (làm bù thứ Bảy 26/4), Tết Nguyên đán (nghỉ bù).', max_length=200, verbose_name='tên gọi')),
                ('decision', models.CharField(blank=True, help_text='Văn bản công bố: số, ký hiệu, ngày của thông báo hoặc quyết định.', max_length=300, verbose_name='căn cứ')),
            ],
            options={
                'verbose_name': 'ngày nghỉ, ngày làm bù chính thức',
                'verbose_name_plural': 'ngày nghỉ, ngày làm bù chính thức',
                'ordering': ['day'],
            },
        ),
        migrations.RunPython(carry, migrations.RunPython.noop, elidable=False),
    ]
