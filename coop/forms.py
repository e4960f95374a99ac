"""The base of every form of coop: what coop cannot store is refused before any other check runs."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from coop.domain.storable import CONTROL_CHARACTERS, FIRST_YEAR, LAST_YEAR

CONTROL_CHARACTER_MESSAGE = _l("This text contains an invisible control character (such as NUL) that cannot be "
                               "stored. Type it again, or paste it as plain text.")
DATE_RANGE_MESSAGE = _l("Must be a date between the years %(first)d and %(last)d.")


class CoopForm(FlaskForm):
    """A FlaskForm that refuses control characters and impossible dates in any field, before its validators run.

    Refusing first matters: a validator that looks the value up in the database, or computes with the date,
    would otherwise meet a NUL (PostgreSQL answers with an error) or the year 1 (which no time zone can hold).
    """

    def validate(self, extra_validators=None) -> bool:
        problems = {field.name: message for field in self if (message := _unstorable(field)) is not None}
        if not problems:
            return super().validate(extra_validators)
        self._errors = None
        for field in self:
            field.errors = list(field.process_errors)
            if field.name in problems:
                field.errors.append(problems[field.name])
        return False


def _unstorable(field) -> str | None:
    """Why the field's value cannot be stored, or None."""
    if any(isinstance(value, str) and CONTROL_CHARACTERS.search(value) for value in field.raw_data or ()):
        return str(CONTROL_CHARACTER_MESSAGE)
    if isinstance(field.data, date) and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        return str(DATE_RANGE_MESSAGE % {"first": FIRST_YEAR, "last": LAST_YEAR})
    return None
