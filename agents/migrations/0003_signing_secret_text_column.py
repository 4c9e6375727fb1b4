# The encrypted form of a 400-character secret is ~580 characters: a varchar(400)
# column cannot hold it on PostgreSQL, so the column becomes text.

import aladdin.crypto
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('agents', '0002_encrypt_signing_secret'),
    ]

    operations = [
        migrations.AlterField(
            model_name='customtool',
            name='signing_secret',
            field=aladdin.crypto.EncryptedTextField(blank=True, help_text='HTTP only: requests carry X-Webhook-Signature = HMAC-SHA256 of the body.', max_length=400),
        ),
    ]
