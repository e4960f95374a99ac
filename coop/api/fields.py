"""The fields a JSON body may carry, declared once: they check a body and describe it in the OpenAPI document.

A body is refused field by field, in the caller's language, with every problem at once.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from coop.domain.storable import CONTROL_CHARACTERS, FIRST_YEAR, LAST_YEAR

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
LOCAL_DATE_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$"
_LOCAL_DATE_TIME = re.compile(LOCAL_DATE_TIME_PATTERN)
MAX_ID = 2**31 - 1

MESSAGES = {
    "required": _l("This field is required."),
    "null": _l("This field cannot be null."),
    "text": _l("Must be text."),
    "blank": _l("Must not be empty."),
    "too_long": _l("At most %(max)d characters."),
    "control_characters": _l("Must not contain control characters."),
    "date": _l("Must be a date written YYYY-MM-DD."),
    "date_range": _l("Must be a date between the years %(first)d and %(last)d."),
    "local_date_time": _l("Must be a date and time written YYYY-MM-DDTHH:MM:SS, as the clock showed it in the "
                          "time zone given."),
    "boolean": _l("Must be true or false."),
    "integer": _l("Must be a whole number from %(min)d to %(max)d."),
    "choice": _l("Must be one of: %(choices)s."),
    "list": _l("Must be a list of text values."),
    "list_too_long": _l("At most %(max)d values."),
    "unknown_field": _l("Unknown field."),
    "object": _l("The body must be a JSON object."),
}


class FieldInvalid(Exception):
    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code]) % self.params if self.params else str(MESSAGES[self.code])


@dataclass(frozen=True)
class Field:
    """One property of a JSON body: its kind (string, date, local_date_time, boolean, integer, choice,
    string_list) and limits."""

    name: str
    kind: str
    description: object  # a lazy string
    required: bool = False
    nullable: bool = True
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    max_items: int = 50
    example: object = None

    def json_schema(self) -> dict:
        """The JSON Schema (OpenAPI 3.1) of the property."""
        if self.kind == "string":
            schema = {"type": "string", "minLength": 1}
            if self.max_length:
                schema["maxLength"] = self.max_length
        elif self.kind == "date":
            schema = {"type": "string", "format": "date"}
        elif self.kind == "local_date_time":
            schema = {"type": "string", "pattern": LOCAL_DATE_TIME_PATTERN}
        elif self.kind == "boolean":
            schema = {"type": "boolean"}
        elif self.kind == "integer":
            schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        elif self.kind == "choice":
            schema = {"type": "string", "enum": list(self.choices)}
        elif self.kind == "string_list":
            schema = {"type": "array", "maxItems": self.max_items,
                      "items": {"type": "string", "minLength": 1, "maxLength": self.max_length or 200}}
        else:
            raise ValueError(self.kind)
        if self.nullable and not self.required and self.kind != "string_list":
            if "enum" in schema:
                schema["enum"] = [*schema["enum"], None]
            schema["type"] = [schema["type"], "null"]
        schema["description"] = self.description
        if self.example is not None:
            schema["examples"] = [self.example]
        return schema

    def parse(self, value):
        """The value as coop takes it; raises FieldInvalid."""
        if value is None:
            if self.required or not self.nullable or self.kind == "string_list":
                raise FieldInvalid("null")
            return None
        if self.kind == "string":
            return _text(value, self.max_length)
        if self.kind == "date":
            return _date(value)
        if self.kind == "local_date_time":
            return _local_date_time(value)
        if self.kind == "boolean":
            if not isinstance(value, bool):
                raise FieldInvalid("boolean")
            return value
        if self.kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
                raise FieldInvalid("integer", min=1, max=MAX_ID)
            return value
        if self.kind == "choice":
            if value not in self.choices:
                raise FieldInvalid("choice", choices=", ".join(self.choices))
            return value
        if self.kind == "string_list":
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise FieldInvalid("list")
            if len(value) > self.max_items:
                raise FieldInvalid("list_too_long", max=self.max_items)
            return [_text(item, self.max_length or 200) for item in value]
        raise ValueError(self.kind)


def _text(value, max_length: int | None) -> str:
    if not isinstance(value, str):
        raise FieldInvalid("text")
    if CONTROL_CHARACTERS.search(value):
        raise FieldInvalid("control_characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from "\ud800" in the JSON
        raise FieldInvalid("text") from None
    if not value.strip():
        raise FieldInvalid("blank")
    if max_length and len(value) > max_length:
        raise FieldInvalid("too_long", max=max_length)
    return value.strip()


def _date(value) -> date:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise FieldInvalid("date")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise FieldInvalid("date") from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise FieldInvalid("date_range", first=FIRST_YEAR, last=LAST_YEAR)
    return parsed


def _local_date_time(value) -> datetime:
    """A wall-clock time without a zone (the zone is another field), as the web form's "exact time"."""
    if not isinstance(value, str) or not _LOCAL_DATE_TIME.fullmatch(value):
        raise FieldInvalid("local_date_time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise FieldInvalid("local_date_time") from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise FieldInvalid("date_range", first=FIRST_YEAR, last=LAST_YEAR)
    return parsed


def parse_body(body, fields: list[Field]) -> tuple[dict, dict[str, list[str]]]:
    """The values of `body` by field name, and the problems by field name (both may be partly filled).

    Fields not sent are left out (an edit changes only what it sends), unless they are required.
    """
    if not isinstance(body, dict):
        return {}, {"": [str(MESSAGES["object"])]}
    known = {field.name: field for field in fields}
    values, problems = {}, {}
    for name in body:
        if name not in known:
            problems[name] = [str(MESSAGES["unknown_field"])]
    for field in fields:
        if field.name not in body:
            if field.required:
                problems[field.name] = [str(MESSAGES["required"])]
            continue
        try:
            values[field.name] = field.parse(body[field.name])
        except FieldInvalid as error:
            problems[field.name] = [error.message]
    return values, problems


def object_schema(fields: list[Field], description=None) -> dict:
    """The JSON Schema of a body made of `fields`."""
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {field.name: field.json_schema() for field in fields},
    }
    required = [field.name for field in fields if field.required]
    if required:
        schema["required"] = required
    if description is not None:
        schema["description"] = description
    return schema


def parse_date_argument(raw: str) -> date:
    """A query argument that must be a date (YYYY-MM-DD, within the years coop accepts); raises FieldInvalid."""
    return _date(raw.strip())
