"""CSV files that staff open in Excel or WPS: UTF-8 with a BOM, and no cell that runs as a formula."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

# OWASP's CSV-injection rule: a cell that starts with one of these is read as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(header: Sequence[str], rows: Iterable[Sequence[object]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralised(cell) for cell in row])
    # The BOM lets Excel and WPS (what departments open CSV files with) read the Chinese correctly.
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
