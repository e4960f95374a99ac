"""The form that marks two identifiers as the same person's."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from coop.domain.identifiers import ACCOUNT_PLATFORMS, CRYPTO_NETWORKS, IdentifierError
from coop.domain.networks import REASON_MAX, normalize_key
from coop.forms import CoopForm
from coop.labels import IDENTIFIER_KIND_LABELS, PLATFORM_LABELS
from coop.models import IdentifierKind
from coop.requests.forms import IDENTIFIER_ERRORS

LINK_PROBLEMS = {
    "reason_required": _l("Say why these identifiers belong to the same person."),
    "reason_too_long": _l("At most %(max)d characters.", max=REASON_MAX),
    "same_identifier": _l("This is the identifier of this page: name another one."),
    "unknown_identifier": _l("No request you may see names this identifier: check it, or add it to a request "
                             "first."),
    "already_linked": _l("These two identifiers are already marked as the same person's."),
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LinkForm(CoopForm):
    kind = HiddenField(validators=[DataRequired()])
    normalized = HiddenField(validators=[DataRequired(), Length(max=500)])
    other_kind = SelectField(_l("Kind"), default=IdentifierKind.ACCOUNT.value, choices=[
        SelectChoice(kind.value, label) for kind, label in IDENTIFIER_KIND_LABELS.items()])
    other_value = StringField(_l("The other identifier"), validators=[
        DataRequired(message=IDENTIFIER_ERRORS["required"]), Length(max=500)], filters=[_strip])
    other_platform = SelectField(_l("Platform or network"), default="", choices=[
        SelectChoice("", _l("— from the link or the address —"))] + [
        SelectChoice(name, PLATFORM_LABELS[name]) for name in (*ACCOUNT_PLATFORMS, *CRYPTO_NETWORKS[:-1])])
    reason = TextAreaField(_l("Why they are the same person's"), validators=[
        DataRequired(message=LINK_PROBLEMS["reason_required"]), Length(max=REASON_MAX)], filters=[_strip])

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the other identifier by its kind's rules; `self.other_key` holds its key."""
        self.other_key = None
        if not super().validate(extra_validators):
            return False
        kind = IdentifierKind(self.other_kind.data)
        platform = self.other_platform.data or None
        if kind == IdentifierKind.ACCOUNT and platform in CRYPTO_NETWORKS:
            platform = None
        if kind in (IdentifierKind.WALLET, IdentifierKind.TRANSACTION) and platform in ACCOUNT_PLATFORMS:
            platform = None
        try:
            self.other_key = normalize_key(kind, self.other_value.data,
                                           platform if kind in (IdentifierKind.ACCOUNT, IdentifierKind.WALLET,
                                                                IdentifierKind.TRANSACTION) else None)
        except IdentifierError as error:
            field = self.other_platform if error.field == "platform" else self.other_value
            field.errors.append(IDENTIFIER_ERRORS.get(error.code, IDENTIFIER_ERRORS["required"]))
            return False
        return True
