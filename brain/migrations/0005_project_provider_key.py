# A project's own provider API key, stored encrypted (AES-256-GCM) in a text column.

import aladdin.crypto
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('brain', '0004_script_locations_elements'),
    ]

    operations = [
        migrations.AddField(
            model_name='project',
            name='llm_api_key',
            field=aladdin.crypto.EncryptedTextField(blank=True, help_text="Key for this project's model provider; stored encrypted, never shown again.", max_length=1000, verbose_name='provider API key'),
        ),
    ]
