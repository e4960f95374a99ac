"""What coop can store: the same limits for the web forms (coop.forms) and the JSON API (coop.api.fields)."""

import re

# PostgreSQL cannot store NUL, spreadsheets (openpyxl) refuse the other control characters, and nobody types
# them on purpose: they come from pasted Word text or from a forged request. Tab and newlines are text.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Dates outside these years are typing errors, and the time-zone arithmetic of clocks cannot hold them.
FIRST_YEAR, LAST_YEAR = 1900, 2200
