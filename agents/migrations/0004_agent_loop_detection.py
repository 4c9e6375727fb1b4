from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0003_signing_secret_text_column"),
    ]

    operations = [
        migrations.AddField(
            model_name="agent",
            name="loop_detection",
            field=models.CharField(
                choices=[
                    ("off", "Off"),
                    ("warn", "Warn (emit an event, let it go on)"),
                    ("stop", "Stop the agent"),
                ],
                default="stop",
                help_text="An agent calling the same tool with the same arguments 3 times, "
                "or alternating between two calls (A, B, A, B), is in a loop.",
                max_length=4,
            ),
        ),
    ]
