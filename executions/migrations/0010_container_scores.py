"""Orchestration and department rows recorded their scores and decision only in their
output until now; analytics (avgQualityScore) and the admin read the columns. Copy
them over for the runs recorded before."""

from __future__ import annotations

from typing import Any

from django.db import migrations

SCORED_ORCHESTRATION = ("completed", "awaiting_approval")  # a failed run was not graded
DIMENSIONS = ("quality", "relevance", "consistency", "completeness", "creativity", "technical")
BATCH = 500


def scores_of(row: Any) -> dict[str, float]:
    output = row.output if isinstance(row.output, dict) else {}
    if row.kind == "orchestration":
        if row.status not in SCORED_ORCHESTRATION:
            return {}
        found = {"overall": output.get("overallQuality"), "consistency": output.get("consistency")}
    else:
        found = dict(output.get("scores") or {}) if isinstance(output.get("scores"), dict) else {}
    return {
        name: float(value)
        for name, value in found.items()
        if name in (*DIMENSIONS, "overall")
        and isinstance(value, int | float)
        and 0 <= value <= 100
    }


def copy_scores(apps: Any, schema_editor: Any) -> None:
    Execution = apps.get_model("executions", "Execution")
    # Every column written is loaded: bulk_update reads a deferred one row by row.
    columns = [f"{name}_score" for name in (*DIMENSIONS, "overall")] + ["decision"]
    rows = Execution.objects.filter(
        kind__in=("orchestration", "department"), overall_score__isnull=True
    ).only("pk", "kind", "status", "output", *columns)
    changed = []
    for row in rows.iterator(chunk_size=BATCH):
        scores = scores_of(row)
        if not scores:
            continue
        for name, value in scores.items():
            setattr(row, f"{name}_score", value)
        output = row.output if isinstance(row.output, dict) else {}
        row.decision = row.decision or str(output.get("decision") or "")[:24]
        changed.append(row)
        if len(changed) == BATCH:
            Execution.objects.bulk_update(changed, columns)
            changed = []
    if changed:
        Execution.objects.bulk_update(changed, columns)


class Migration(migrations.Migration):
    dependencies = [("executions", "0009_renew_lease_function")]

    operations = [migrations.RunPython(copy_scores, migrations.RunPython.noop)]
