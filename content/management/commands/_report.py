def print_report(command, report, label: str) -> None:
    command.stdout.write(
        command.style.SUCCESS(
            f"{label}: {report.created} created, {report.updated} updated, {len(report.rejected)} rejected"
            + (f", {report.skipped} already present" if report.skipped else "")
        )
    )
    for number, reason in report.rejected[:200]:
        command.stdout.write(command.style.WARNING(f"  row {number}: {reason}"))
    if len(report.rejected) > 200:
        command.stdout.write(f"  ... and {len(report.rejected) - 200} more rejected rows")
