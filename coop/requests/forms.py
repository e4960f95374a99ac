"""Forms of a request's pages: the request itself, and what is added to it (identifiers, documents ...)."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from coop.addresses import MAX_ID
from coop.domain.access import visible_requests
from coop.domain.identifiers import ACCOUNT_PLATFORMS, CRYPTO_NETWORKS, IdentifierError, parse_identifier
from coop.domain.workflow import REASON_REQUIRED
from coop.extensions import db
from coop.forms import CoopForm
from coop.i18n import local_zone
from coop.labels import (
    DOCUMENT_KIND_LABELS,
    IDENTIFIER_KIND_LABELS,
    PARTNER_KIND_LABELS,
    PLATFORM_LABELS,
    TRANSMISSION_LABELS,
    URGENCY_LABELS,
    status_action_label,
)
from coop.models import (
    Case,
    CooperationRequest,
    Direction,
    DocumentKind,
    IdentifierKind,
    LegalBasis,
    Partner,
    PartnerKind,
    RequestType,
    Role,
    Status,
    Urgency,
    User,
    utcnow,
)

TEXT_LIMIT = 20000

IDENTIFIER_ERRORS = {
    "required": _l("Enter the identifier."),
    "too_long": _l("At most 500 characters."),
    "invalid_phone": _l("Not a valid phone number. Numbers without a country code are read as Kazakh "
                        "(8 701 123 45 67); others need their code (+49 30 1234567)."),
    "invalid_email": _l("Not a valid e-mail address."),
    "invalid_ip": _l("Not a valid IPv4 or IPv6 address."),
    "invalid_port": _l("The port must be a number from 1 to 65535."),
    "ip_not_public": _l("This is a private, reserved or local address: a provider only ever sees public "
                        "addresses."),
    "time_required": _l("An IP address is useless to a provider without the exact time: enter the date and time "
                        "(with seconds) it was used."),
    "zone_required": _l("Enter the time zone the time was given in (for example Asia/Almaty or UTC)."),
    "unknown_zone": _l("Unknown time zone: use a name such as Asia/Almaty, Europe/Moscow or UTC."),
    "ambiguous_time": _l("This time happened twice in that zone (the clocks went back): enter it in UTC instead."),
    "nonexistent_time": _l("This time did not exist in that zone (the clocks went forward): check it."),
    "time_in_future": _l("This time is in the future."),
    "platform_required": _l("Choose the platform of this handle, or enter the full link to the profile."),
    "unknown_platform": _l("Not one of the platforms."),
    "platform_mismatch": _l("The link belongs to another platform than the one chosen."),
    "invalid_handle": _l("Not a valid account name for this platform."),
    "unrecognised_link": _l("Not a web link that can be read."),
    "not_a_profile": _l("This link points to a post or page, not to an account: enter the link to the account or "
                        "its name."),
    "short_link": _l("Short links cannot be checked: open it and enter the full link to the account."),
    "unknown_network": _l("Not one of the networks."),
    "network_mismatch": _l("The address belongs to another network than the one chosen."),
    "invalid_wallet": _l("Not a wallet address of a known network. If it belongs to another network, choose "
                         "“Other”."),
    "wallet_checksum": _l("The address's checksum does not match: a character is wrong or missing."),
    "invalid_transaction": _l("Not a valid transaction id for this network (a blockchain transaction is "
                              "64 hexadecimal characters)."),
    "invalid_domain": _l("Not a valid domain name."),
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    return int(value)


def _name(item) -> str:
    return item.name(str(get_locale()))


def partner_choices(current_id: int | None = None) -> list[SelectChoice]:
    """Active partners (and the request's own, even if no longer active), countries first, by name."""
    partners = db.session.scalars(select(Partner).where(Partner.active.is_(True) | (Partner.id == current_id)))
    groups = {PartnerKind.COUNTRY: str(PARTNER_KIND_LABELS[PartnerKind.COUNTRY]),
              PartnerKind.PROVIDER: str(PARTNER_KIND_LABELS[PartnerKind.PROVIDER])}
    ordered = sorted(partners, key=lambda partner: (partner.kind != PartnerKind.COUNTRY, _name(partner).lower()))
    return [SelectChoice("", _l("— choose —"))] + [
        SelectChoice(partner.id, _name(partner), optgroup=groups[partner.kind]) for partner in ordered]


def request_type_choices(direction: Direction, current_id: int | None = None) -> list[SelectChoice]:
    types = db.session.scalars(
        select(RequestType).where(RequestType.direction == direction,
                                  RequestType.active.is_(True) | (RequestType.id == current_id))
        .order_by(RequestType.sort_order, RequestType.id))
    return [SelectChoice("", _l("— choose —"))] + [SelectChoice(kind.id, _name(kind)) for kind in types]


def legal_basis_choices(current_id: int | None = None) -> list[SelectChoice]:
    bases = db.session.scalars(select(LegalBasis).where(LegalBasis.active.is_(True) | (LegalBasis.id == current_id)))
    return [SelectChoice("", _l("— not decided yet —"))] + [
        SelectChoice(basis.id, _name(basis)) for basis in sorted(bases, key=lambda basis: _name(basis).lower())]


def officer_choices(current_ids: list[int] = ()) -> list[SelectChoice]:
    people = db.session.scalars(
        select(User).where(User.role.in_([Role.OFFICER, Role.HEAD]),
                           User.active.is_(True) | User.id.in_(list(current_ids)))
        .order_by(User.full_name))
    return [SelectChoice(person.id, person.full_name) for person in people]


def open_case_numbers(limit: int = 300) -> list[str]:
    """Numbers of the most recent cases, offered while typing (any existing number is accepted)."""
    return list(db.session.scalars(select(Case.number).order_by(Case.id.desc()).limit(limit)))


def find_case(number: str) -> Case | None:
    wanted = " ".join(number.split()).lower()
    return db.session.scalar(select(Case).where(func.lower(Case.number) == wanted))


def find_visible_request(reference: str) -> CooperationRequest | None:
    wanted = reference.strip().upper()
    return db.session.scalar(visible_requests(current_user).where(func.upper(CooperationRequest.reference) == wanted))


class RequestForm(CoopForm):
    """The request's own fields, for creating and editing it."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)], filters=[_strip],
                        description=_l("A short description the list shows, e.g. “Subscriber data of "
                                       "@fake_shop_kz”."))
    request_type_id = SelectField(_l("Type"), coerce=_optional_int, validators=[InputRequired()])
    partner_id = SelectField(_l("Partner"), coerce=_optional_int, validators=[InputRequired()])
    legal_basis_id = SelectField(_l("Legal basis"), coerce=_optional_int, validators=[Optional()])
    case_number = StringField(_l("Criminal case"), validators=[Optional(), Length(max=64)], filters=[_strip],
                              description=_l("The number of the national criminal case."))
    follows_reference = StringField(_l("Follows request"), validators=[Optional(), Length(max=32)],
                                    filters=[_strip],
                                    description=_l("Our reference of the request this one follows up, e.g. the "
                                                   "preservation request."))
    urgency = SelectField(_l("Urgency"), default=Urgency.NORMAL.value,
                          choices=[SelectChoice(urgency.value, label) for urgency, label in URGENCY_LABELS.items()])
    # No Optional(): it would stop the check that an emergency has its justification.
    emergency_justification = TextAreaField(
        _l("Justification of the emergency"), validators=[Length(max=TEXT_LIMIT)], filters=[_strip],
        description=_l("Required for an emergency: the threat to life or of serious harm, and why it is imminent."))
    restricted = BooleanField(_l("Restricted: only the assigned officers and the heads may see it"))
    officer_ids = SelectMultipleField(_l("Assigned officers"), coerce=int, validators=[Optional()])

    requesting_authority = TextAreaField(_l("Requesting authority"), validators=[Optional(), Length(max=TEXT_LIMIT)],
                                         filters=[_strip])
    investigation_subject = TextAreaField(_l("Subject and nature of the investigation, and who conducts it"),
                                          validators=[Optional(), Length(max=TEXT_LIMIT)], filters=[_strip])
    facts = TextAreaField(_l("Summary of the facts"), validators=[Optional(), Length(max=TEXT_LIMIT)],
                          filters=[_strip])
    offence = TextAreaField(_l("Offence and penalty"), validators=[Optional(), Length(max=TEXT_LIMIT)],
                            filters=[_strip])
    assistance_sought = TextAreaField(_l("Assistance sought (for a preservation: the data to preserve)"),
                                      validators=[Optional(), Length(max=TEXT_LIMIT)], filters=[_strip])
    persons = TextAreaField(_l("Persons, items and accounts concerned"),
                            validators=[Optional(), Length(max=TEXT_LIMIT)], filters=[_strip],
                            description=_l("Identity, location, nationality. Accounts, numbers and addresses go "
                                           "in the identifiers, on the request's page."))
    purpose = TextAreaField(_l("Purpose"), validators=[Optional(), Length(max=TEXT_LIMIT)], filters=[_strip])
    data_period_from = DateField(_l("Data from"), validators=[Optional()])
    data_period_to = DateField(_l("Data to"), validators=[Optional()])
    requested_by = DateField(_l("Requested deadline"), validators=[Optional()])
    requested_by_reasons = TextAreaField(_l("Reasons for the deadline (for a preservation: why it is urgent)"),
                                         validators=[Optional(), Length(max=TEXT_LIMIT)], filters=[_strip])
    confidentiality = TextAreaField(_l("Confidentiality"), validators=[Optional(), Length(max=TEXT_LIMIT)],
                                    filters=[_strip],
                                    description=_l("Whether the partner may tell the account holder, and limits "
                                                   "on the use of what it sends."))
    data_custodian = TextAreaField(_l("Custodian or location of the data"),
                                   validators=[Optional(), Length(max=TEXT_LIMIT)], filters=[_strip])
    follow_up_promised = BooleanField(_l("The request states that a request for mutual assistance will follow"))

    def __init__(self, *args, direction: Direction, editing: CooperationRequest | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.direction = direction
        self.editing = editing
        self.case: Case | None = None
        self.follows: CooperationRequest | None = None
        self.request_type_id.choices = request_type_choices(direction, editing.request_type_id if editing else None)
        self.partner_id.choices = partner_choices(editing.partner_id if editing else None)
        self.legal_basis_id.choices = legal_basis_choices(editing.legal_basis_id if editing else None)
        self.officer_ids.choices = officer_choices([officer.id for officer in editing.officers] if editing else [])

    def validate_case_number(self, field):
        if field.data:
            self.case = find_case(field.data)
            if self.case is None:
                raise ValidationError(_l("No case has this number. Create the case first, or leave the field "
                                         "empty."))

    def validate_follows_reference(self, field):
        if field.data:
            self.follows = find_visible_request(field.data)
            if self.follows is None:
                raise ValidationError(_l("No request you can see has this reference."))
            if self.editing is not None and self.follows.id == self.editing.id:
                raise ValidationError(_l("A request cannot follow itself."))

    def validate_emergency_justification(self, field):
        if self.urgency.data == Urgency.EMERGENCY.value and not field.data:
            raise ValidationError(_l("An emergency request must say why: the threat to life or of serious harm."))

    def validate_data_period_to(self, field):
        if field.data and self.data_period_from.data and field.data < self.data_period_from.data:
            raise ValidationError(_l("The end of the period is before its start."))

    def request_fields(self) -> dict:
        """The form's values, as `coop.domain.requests` takes them."""
        return {
            "direction": self.direction,
            "title": self.title.data,
            "request_type_id": self.request_type_id.data,
            "partner_id": self.partner_id.data,
            "legal_basis_id": self.legal_basis_id.data,
            "case_id": self.case.id if self.case else None,
            "follows_id": self.follows.id if self.follows else None,
            "urgency": Urgency(self.urgency.data),
            "emergency_justification": self.emergency_justification.data,
            "restricted": self.restricted.data,
            "requesting_authority": self.requesting_authority.data,
            "investigation_subject": self.investigation_subject.data,
            "facts": self.facts.data,
            "offence": self.offence.data,
            "assistance_sought": self.assistance_sought.data,
            "persons": self.persons.data,
            "purpose": self.purpose.data,
            "data_period_from": self.data_period_from.data,
            "data_period_to": self.data_period_to.data,
            "requested_by": self.requested_by.data,
            "requested_by_reasons": self.requested_by_reasons.data,
            "confidentiality": self.confidentiality.data,
            "data_custodian": self.data_custodian.data,
            "follow_up_promised": self.follow_up_promised.data,
        }


class NewRequestForm(RequestForm):
    """Creating a request: also when an incoming one arrived, its first partner reference, and a follow-up's
    identifiers."""

    received_on = DateField(_l("Received on"), validators=[Optional()])
    partner_reference = StringField(_l("Partner's reference"), validators=[Optional(), Length(max=120)],
                                    filters=[_strip])
    copy_identifiers = BooleanField(_l("Copy the identifiers of the request it follows"), default=True)

    def validate_received_on(self, field):
        if field.data and field.data > utcnow().astimezone(local_zone()).date():
            raise ValidationError(_l("This date is in the future."))


class EditRequestForm(RequestForm):
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])


class IdentifierForm(CoopForm):
    kind = SelectField(_l("Kind"), default=IdentifierKind.ACCOUNT.value,
                       choices=[SelectChoice(kind.value, label) for kind, label in IDENTIFIER_KIND_LABELS.items()])
    value = StringField(_l("Identifier"), validators=[DataRequired(message=IDENTIFIER_ERRORS["required"]),
                                                      Length(max=500)], filters=[_strip])
    platform = SelectField(_l("Platform"), default="", choices=[SelectChoice("", _l("— from the link —"))] + [
        SelectChoice(platform, PLATFORM_LABELS[platform]) for platform in ACCOUNT_PLATFORMS])
    network = SelectField(_l("Network"), default="", choices=[SelectChoice("", _l("— recognise —"))] + [
        SelectChoice(network, PLATFORM_LABELS[network]) for network in CRYPTO_NETWORKS])
    observed_at = DateTimeLocalField(_l("Exact time"), validators=[Optional()],
                                     format=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
                                             "%Y-%m-%d %H:%M"])
    zone = StringField(_l("Time zone"), default="Asia/Almaty", validators=[Optional(), Length(max=64)],
                       filters=[_strip])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)], filters=[_strip])

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the identifier itself (its kind's rules); `self.parsed` holds the result."""
        self.parsed = None
        if not super().validate(extra_validators):
            return False
        kind = IdentifierKind(self.kind.data)
        platform = self.network.data if kind in (IdentifierKind.WALLET, IdentifierKind.TRANSACTION) \
            else self.platform.data if kind == IdentifierKind.ACCOUNT else None
        try:
            self.parsed = parse_identifier(kind, self.value.data, platform=platform or None,
                                           observed_at=self.observed_at.data, zone=self.zone.data, now=utcnow())
        except IdentifierError as error:
            field = {"platform": self.network if kind in (IdentifierKind.WALLET, IdentifierKind.TRANSACTION)
                     else self.platform}.get(error.field) or getattr(self, error.field)
            field.errors.append(IDENTIFIER_ERRORS[error.code])
            return False
        return True


class PartnerReferenceForm(CoopForm):
    reference = StringField(_l("Partner's reference"), validators=[DataRequired(), Length(max=120)],
                            filters=[_strip])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)], filters=[_strip],
                       description=_l("e.g. “given by the central authority”, “case number at Meta”."))


class NoteForm(CoopForm):
    text = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=TEXT_LIMIT)], filters=[_strip])


def document_kind_choices() -> list[SelectChoice]:
    return [SelectChoice(kind.value, label) for kind, label in DOCUMENT_KIND_LABELS.items()]


class DocumentForm(CoopForm):
    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file."))])
    kind = SelectField(_l("Kind"), default=DocumentKind.REQUEST_LETTER.value, choices=document_kind_choices())
    dated = DateField(_l("Dated"), validators=[Optional()],
                      description=_l("The date on the document: when it was sent or received."))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)], filters=[_strip])


# The kind of a file attached while moving a request into a status, unless the officer says otherwise.
DOCUMENT_KIND_FOR_STATUS = {
    Status.SENT: DocumentKind.REQUEST_LETTER,
    Status.TRANSLATION: DocumentKind.TRANSLATION,
    Status.ANSWERED: DocumentKind.ANSWER,
    Status.PARTIALLY_ANSWERED: DocumentKind.ANSWER,
    Status.NO_DATA: DocumentKind.ANSWER,
    Status.REFUSED: DocumentKind.ANSWER,
}


class StatusField(SelectField):
    """Offers the allowed next statuses, but accepts any status: the workflow then says why a move is refused."""

    def pre_validate(self, form):
        if self.data not in {status.value for status in Status}:
            raise ValidationError(self.gettext("Not a valid choice."))


class TransitionForm(CoopForm):
    target = StatusField(_l("New status"), validators=[InputRequired()])
    current_status = HiddenField()
    reason = TextAreaField(_l("Reason or comment"), validators=[Optional(), Length(max=TEXT_LIMIT)],
                           filters=[_strip])
    occurred_on = DateField(_l("Date"), validators=[Optional()],
                            description=_l("When it happened (sent, received ...), if not today."))
    channel = SelectField(_l("Channel"), default="", choices=[SelectChoice("", _l("— not recorded —"))] + [
        SelectChoice(code, label) for code, label in TRANSMISSION_LABELS.items()])
    partner_reference = StringField(_l("Partner's reference"), validators=[Optional(), Length(max=120)],
                                    filters=[_strip])
    document_id = SelectField(_l("Document"), coerce=_optional_int, validators=[Optional()])
    file = FileField(_l("Or attach a new file"))
    file_kind = SelectField(_l("Kind of the new file"), default="", choices=[
        SelectChoice("", _l("— according to the step —"))] + document_kind_choices())

    def __init__(self, *args, request: CooperationRequest, targets: list[Status], **kwargs):
        super().__init__(*args, **kwargs)
        self.target.choices = [SelectChoice(status.value, status_action_label(status),
                                            render_kw={"data-reason-required": "1"} if status in REASON_REQUIRED
                                            else {})
                               for status in targets]
        self.document_id.choices = [SelectChoice("", _l("— none —"))] + [
            SelectChoice(document.id, document.original_name) for document in reversed(request.documents)]
        if not self.current_status.data:
            self.current_status.data = request.status.value

    def validate_reason(self, field):
        if self.target.data in {status.value for status in REASON_REQUIRED} and not field.data:
            raise ValidationError(_l("Give the reason: this step requires one."))

    def validate_occurred_on(self, field):
        if field.data and field.data > utcnow().astimezone(local_zone()).date():
            raise ValidationError(_l("This date is in the future."))

    def new_file_kind(self, target: Status) -> DocumentKind:
        if self.file_kind.data:
            return DocumentKind(self.file_kind.data)
        return DOCUMENT_KIND_FOR_STATUS.get(target, DocumentKind.CORRESPONDENCE)
