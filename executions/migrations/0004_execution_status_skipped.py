from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("executions", "0003_drop_cost_known"),
    ]

    operations = [
        migrations.AlterField(
            model_name="execution",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("running", "Running"),
                    ("completed", "Completed"),
                    ("failed", "Failed"),
                    ("cancelled", "Cancelled"),
                    ("retry", "Retry"),
                    ("skipped", "Skipped"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
    ]
