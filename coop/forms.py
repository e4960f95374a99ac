"""The base of every form of coop: what coop cannot store is refused before any other check runs, and a form
that edits a stored object refuses a submission that leaves fields out (instead of reading them as empty)."""

from datetime import date

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, FileField, SelectMultipleField, SubmitField

from coop.domain.storable import CONTROL_CHARACTERS, FIRST_YEAR, LAST_YEAR

CONTROL_CHARACTER_MESSAGE = _l("This text contains an invisible control character (such as NUL) that cannot be "
                               "stored. Type it again, or paste it as plain text.")
DATE_RANGE_MESSAGE = _l("Must be a date between the years %(first)d and %(last)d.")
INCOMPLETE_MESSAGE = _l("The form arrived incomplete (%(fields)s missing), so nothing has been saved. Open the page "
                        "again and save it from there.")
NOT_SENT_MESSAGE = _l("This field was not sent.")
# The hidden input naming the checkboxes and multiple choices a page showed: a browser sends nothing for one left
# empty, so without it "unticked" and "left out" would look the same.
SHOWN_FIELDS = "shown_fields"


def page_status(form: FlaskForm) -> int:
    """The status of a page showing `form`: 400 when it refused what was submitted (with its field errors shown),
    200 when it is shown to be filled in."""
    return 400 if form.errors or form.form_errors else 200


class CoopForm(FlaskForm):
    """A FlaskForm that refuses control characters and impossible dates in any field, before its validators run.

    Refusing first matters: a validator that looks the value up in the database, or computes with the date,
    would otherwise meet a NUL (PostgreSQL answers with an error) or the year 1 (which no time zone can hold).
    """

    #: The stored object the form edits (None when it creates one). An edit must send every field (and its version).
    editing = None
    #: Fields an edit page shows as fixed values (not inputs), so an edit does not send them.
    fixed_when_editing: tuple[str, ...] = ()

    def validate(self, extra_validators=None) -> bool:
        if self.editing is not None and (missing := self.fields_not_sent()):
            return self._refuse_incomplete(missing)
        problems = {field.name: message for field in self if (message := _unstorable(field)) is not None}
        if not problems:
            return super().validate(extra_validators)
        self._errors = None
        for field in self:
            field.errors = list(field.process_errors)
            if field.name in problems:
                field.errors.append(problems[field.name])
        return False


    def fields_not_sent(self) -> list:
        """The fields this submission left out: a checkbox or multiple choice counts as sent (empty) when the
        page listed it as shown; a `version` must carry a value."""
        sent, shown = set(request.form) | set(request.files), set(request.form.getlist(SHOWN_FIELDS))
        missing = []
        for field in self:
            if isinstance(field, SubmitField | FileField) or field.name == self.meta.csrf_field_name \
                    or field.name in self.fixed_when_editing:
                continue
            left_out = field.name not in sent and not (_silent_when_empty(field) and field.name in shown)
            if left_out or (field.name == "version" and not (request.form.get("version") or "").strip()):
                missing.append(field)
        return missing

    def _refuse_incomplete(self, missing: list) -> bool:
        self._errors = None
        for field in self:
            field.errors = [str(NOT_SENT_MESSAGE)] if field in missing else []
        self.form_errors.append(str(INCOMPLETE_MESSAGE % {"fields": ", ".join(
            str(field.label.text) if field.label.text else field.name for field in missing)}))
        return False

    def hidden_tag(self, *fields) -> Markup:
        """The hidden fields and, on an edit, which of the fields that send nothing when empty the page shows."""
        rendered = super().hidden_tag(*fields)
        if self.editing is None:
            return rendered
        shown = Markup('<input type="hidden" name="{}" value="{}">')
        return Markup("").join([rendered, *(shown.format(SHOWN_FIELDS, field.name)
                                            for field in self if _silent_when_empty(field))])


def _unstorable(field) -> str | None:
    """Why the field's value cannot be stored, or None."""
    if any(isinstance(value, str) and CONTROL_CHARACTERS.search(value) for value in field.raw_data or ()):
        return str(CONTROL_CHARACTER_MESSAGE)
    if isinstance(field.data, date) and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        return str(DATE_RANGE_MESSAGE % {"first": FIRST_YEAR, "last": LAST_YEAR})
    return None


def _silent_when_empty(field) -> bool:
    """Whether a browser sends nothing at all for this field when it is left empty (unticked, nothing chosen)."""
    return isinstance(field, BooleanField | SelectMultipleField)
