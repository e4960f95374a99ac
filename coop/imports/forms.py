"""Forms of the import pages: the upload, and the mapping of the file's columns to coop's fields."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import SelectChoice, SelectField

from coop.domain.import_matching import REQUIRED_FIELDS
from coop.domain.importing import IMPORT_FIELDS
from coop.extensions import db
from coop.forms import CoopForm
from coop.imports.processing import FIELD_LABELS
from coop.models import RequestType


class UploadForm(CoopForm):
    file = FileField(_l("Spreadsheet"), validators=[FileRequired(message=_l("Choose a file."))],
                     description=_l("An Excel workbook (.xlsx) or a CSV file, with one request per row and the "
                                    "column headings in the first rows."))


def field_choices() -> list[SelectChoice]:
    required = set(REQUIRED_FIELDS)
    return [SelectChoice("", _l("— do not import —"))] + [
        SelectChoice(item.name, f"{FIELD_LABELS[item.name]}{' *' if item.name in required else ''}")
        for item in IMPORT_FIELDS]


def request_type_choices() -> list[SelectChoice]:
    language = str(get_locale())
    types = db.session.scalars(select(RequestType).where(RequestType.active.is_(True))
                               .order_by(RequestType.direction.desc(), RequestType.sort_order))
    return [SelectChoice("", _l("— none: every row names its type —"))] + [
        SelectChoice(item.code, item.name(language)) for item in types]


def mapping_form(headings: list[str], mapping: dict[int, str], default_type: str | None):
    """A form with one select per column of the file, set to `mapping`, and the default type of request."""

    class MappingForm(CoopForm):
        default_request_type = SelectField(
            _l("Type of request for rows that name none"), default=default_type or "",
            description=_l("For a register that lists one kind of request only, e.g. requests to providers."))

        def columns(self) -> list[tuple[int, str, SelectField]]:
            """(column index, heading, select) for each column."""
            return [(index, heading, self[f"column_{index}"]) for index, heading in enumerate(headings)]

        def mapping(self) -> dict[int, str]:
            return {index: select.data for index, _heading, select in self.columns() if select.data}

    choices = field_choices()
    for index, heading in enumerate(headings):
        label = heading or _l("Column %(number)d", number=index + 1)
        setattr(MappingForm, f"column_{index}", SelectField(label, choices=choices, default=mapping.get(index, "")))
    form = MappingForm()
    form.default_request_type.choices = request_type_choices()
    return form
