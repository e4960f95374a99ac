"""The API's routes for letters: a request's letters, drafting one (the answer is the .docx), the register."""

import io
from urllib.parse import quote

from flask import current_app, jsonify, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from coop.api import bp, openapi
from coop.api import fields as api_fields
from coop.api.auth import caller
from coop.api.calls import choice_argument, json_body, page_args, page_json, refuse_bad_arguments, visible_request
from coop.api.errors import ApiError, invalid
from coop.api.letter_representations import letter_json
from coop.domain import letters as domain
from coop.domain.access import can_edit, may_see_request_id
from coop.domain.documents import DocumentError, verified_path
from coop.domain.requests import RequestProblem
from coop.extensions import db
from coop.i18n import local_zone
from coop.letters.labels import gap_label, problem_message
from coop.models import CooperationRequest, Letter, LetterKind, LetterState, Partner, utcnow
from coop.requests.views import REQUEST_PROBLEMS, _document_problem

REGISTER_PAGE_SIZE = 50


def _request_for_letters(request_id: int) -> CooperationRequest:
    return visible_request(request_id, joinedload(CooperationRequest.partner).selectinload(Partner.contacts),
                           joinedload(CooperationRequest.request_type), joinedload(CooperationRequest.legal_basis),
                           joinedload(CooperationRequest.case), joinedload(CooperationRequest.follows),
                           selectinload(CooperationRequest.identifiers), selectinload(CooperationRequest.officers),
                           selectinload(CooperationRequest.partner_references),
                           selectinload(CooperationRequest.documents))


@bp.get("/requests/<int:request_id>/letters")
@openapi.operation("request_letters")
def request_letters(request_id: int):
    item = _request_for_letters(request_id)
    return jsonify(items=[letter_json(letter) for letter in domain.request_letters(db.session, item.id)])


@bp.post("/requests/<int:request_id>/letters")
@openapi.operation("draft_letter")
def draft_letter(request_id: int):
    item = _request_for_letters(request_id)
    if not can_edit(caller(), item):
        raise ApiError(403, "not_allowed", str(REQUEST_PROBLEMS["not_allowed"]))
    values, problems = api_fields.parse_body(json_body(), openapi.LETTER_DRAFT_FIELDS)
    if problems:
        raise invalid(problems)
    kind = LetterKind(values["kind"])
    language = values.get("language") or domain.default_language(
        item.partner.accepted_languages, {template.language for template in domain.templates_for(db.session, kind)})
    try:
        letter = domain.draft_letter(db.session, item, caller(), kind, language, utcnow(), local_zone(),
                                     current_app.config["COOP_UPLOAD_FOLDER"],
                                     accept_gaps=bool(values.get("accept_gaps")))
    except domain.LetterProblem as problem:
        db.session.rollback()
        raise _letter_refusal(problem, item, kind) from None
    except (RequestProblem, DocumentError) as problem:
        db.session.rollback()
        message = _document_problem(problem) if isinstance(problem, DocumentError) else \
            str(REQUEST_PROBLEMS.get(problem.code, problem.code))
        raise invalid({"kind": [message]}) from None
    document_id, sha256, name, number = (letter.draft_document.id, letter.draft_document.sha256,
                                         letter.draft_document.original_name, letter.number)
    db.session.commit()
    try:
        content = verified_path(current_app.config["COOP_UPLOAD_FOLDER"], sha256).read_bytes()
    except DocumentError as problem:
        raise ApiError(500, "document_" + problem.code) from None
    response = send_file(io.BytesIO(content), mimetype=domain.DOCX_CONTENT_TYPE, as_attachment=True,
                         download_name=name, max_age=0)
    response.status_code = 201
    response.headers["Location"] = url_for("api.request_letters", request_id=item.id)
    response.headers["X-Letter-Number"] = quote(number, safe="/-")  # percent-encoded: a header is Latin-1
    response.headers["X-Document-Id"] = str(document_id)
    return response


def _letter_refusal(problem: domain.LetterProblem, item: CooperationRequest, kind: LetterKind) -> ApiError:
    if problem.code == "not_allowed":
        return ApiError(403, "not_allowed", str(REQUEST_PROBLEMS["not_allowed"]))
    if problem.code == "gaps":
        return invalid({"accept_gaps": [gap_label(gap.code, gap.detail) for gap in domain.letter_gaps(item, kind)]},
                       problem_message("gaps"))
    field = "language" if problem.code in ("no_template", "unknown_language") else "kind"
    return invalid({field: [problem_message(problem.code, problem.detail)]})


@bp.get("/letters")
@openapi.operation("letters")
def letters():
    page_number, per_page = page_args(REGISTER_PAGE_SIZE)
    problems = {}
    query = (select(Letter).join(CooperationRequest, CooperationRequest.id == Letter.request_id)
             .join(Partner, Partner.id == CooperationRequest.partner_id)
             .where(may_see_request_id(caller(), Letter.request_id))
             .options(joinedload(Letter.request).joinedload(CooperationRequest.partner)))
    if kind := choice_argument("kind", LetterKind, problems):
        query = query.where(Letter.kind == kind)
    if state := choice_argument("state", LetterState, problems):
        query = query.where(Letter.state == state)
    partner = request.args.get("partner", "")
    if len(partner) > 32:
        problems["partner"] = [_("At most %(max)d characters.", max=32)]
    elif partner.strip():
        query = query.where(Partner.code == partner.strip())
    for name, compare in (("dated_from", Letter.dated.__ge__), ("dated_to", Letter.dated.__le__)):
        if raw := request.args.get(name):
            try:
                query = query.where(compare(api_fields.parse_date_argument(raw)))
            except api_fields.FieldInvalid as error:
                problems[name] = [error.message]
    refuse_bad_arguments(problems)
    page = db.paginate(query.order_by(Letter.dated.desc(), Letter.id.desc()), page=page_number, per_page=per_page,
                       error_out=False)
    return jsonify(page_json(page, [letter_json(letter) for letter in page.items]))
