from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    """The default shared cache lives in the database; `migrate` is then the only deploy step it needs."""
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0003_neighbour_kinds_situation_weights")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
