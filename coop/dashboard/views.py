"""The department head's view: the dashboard, partner scorecards, the monthly report and the exports."""

from datetime import date

from flask import abort, render_template, request
from flask_babel import format_decimal, get_locale
from flask_login import current_user
from sqlalchemy import select

from coop.dashboard import bp, charts, tables
from coop.dashboard.forms import DashboardFilterForm, add_months, month_end, parse_month
from coop.domain import statistics
from coop.exports import FORMATS, download
from coop.extensions import db
from coop.i18n import local_zone
from coop.labels import DIRECTION_LABELS, PARTNER_KIND_LABELS, status_label
from coop.models import Partner, PartnerKind, Role, utcnow
from coop.security import role_required

HEADS = (Role.HEAD, Role.ADMIN)


def days_text(value: float | None) -> str:
    """Days with one decimal, written the reader's way ("4,5" in Russian)."""
    return format_decimal(round(value, 1), format="#,##0.0") if value is not None else ""


@bp.context_processor
def dashboard_helpers():
    return {"days_text": days_text, "status_label": status_label, "stage_labels": tables.stage_labels,
            "partner_kind_labels": PARTNER_KIND_LABELS, "direction_labels": DIRECTION_LABELS}


def _page_arg(name: str) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and 0 < int(value) < 100_000 else 1


def _language() -> str:
    return str(get_locale() or "ru")


def _filter_form() -> DashboardFilterForm:
    form = DashboardFilterForm(formdata=request.args, today=utcnow().astimezone(local_zone()).date())
    form.validate()
    return form


def _period_dates(form: DashboardFilterForm) -> dict[str, date]:
    first, last = form.period_months()
    return {"period_first": first, "period_last": month_end(last)}


def _args(form: DashboardFilterForm) -> dict[str, str]:
    """The filters for links that keep the view (pages, downloads), taken before the form fills in defaults."""
    args = form.query_args()
    form.show_period()
    return args


@bp.get("/")
@role_required(*HEADS)
def index():
    form = _filter_form()
    zone, now = local_zone(), utcnow()
    filters = form.filters(zone)
    session = db.session
    trend = statistics.monthly_trend(session, filters, zone)
    by_status = statistics.open_by_status(session, filters)
    kinds = [kind for kind in PartnerKind if not filters.partner_kind or kind == filters.partner_kind]
    return render_template(
        "dashboard/index.html",
        filters=filters, args=_args(form), form=form, language=_language(), **_period_dates(form),
        headline=statistics.headline(session, filters, now),
        trend=trend,
        trend_chart=charts.column_chart([(row.month, (row.sent, row.received)) for row in trend]),
        status_chart=charts.bar_list(by_status),
        open_pages={kind: statistics.open_by_partner(session, filters, kind, now,
                                                     page=_page_arg(f"{kind.value}_page")) for kind in kinds},
        overdue=statistics.overdue(session, filters, now, page=_page_arg("overdue_page")),
        due_soon=statistics.due_soon(session, filters, now, page=_page_arg("due_page")),
        approvals=statistics.awaiting_approval(session, filters, page=_page_arg("approval_page")),
        times_by_kind=statistics.response_times_by_kind(session, filters),
        times_by_partner=statistics.response_times_by_partner(session, filters, page=_page_arg("times_page")),
        stages=statistics.STAGES,
    )


@bp.get("/partners/<code>")
@role_required(*HEADS)
def partner(code: str):
    found = db.session.scalar(select(Partner).where(Partner.code == code))
    if found is None:
        abort(404)
    form = _filter_form()
    zone = local_zone()
    filters = form.filters(zone, partner_id=found.id)
    all_time = statistics.StatisticsFilters(start=filters.start, end=filters.end, partner_id=found.id)
    session = db.session
    monthly = statistics.response_times_by_month(session, filters, zone)
    return render_template(
        "dashboard/partner.html",
        partner=found, filters=filters, args=_args(form), form=form, language=_language(),
        **_period_dates(form),
        summary=statistics.partner_summary(session, all_time),
        period_summary=statistics.headline(session, filters, utcnow()),
        times=statistics.response_times_overall(session, filters),
        monthly=monthly,
        monthly_chart=charts.column_chart(
            [(row.key, (round(row.acknowledge.median or 0, 1), round(row.answer.median or 0, 1)))
             for row in monthly]),
        reasons=statistics.refusal_reasons(session, all_time),
        refusals=statistics.refusals(session, all_time, page=_page_arg("refusals_page")),
        deadlines=statistics.open_deadlines(session, all_time, page=_page_arg("deadlines_page")),
        stages=statistics.STAGES,
    )


@bp.get("/report")
@role_required(*HEADS)
def report():
    zone, now = local_zone(), utcnow()
    this_month = now.astimezone(zone).date().replace(day=1)
    month = _report_month(request.args.get("month"), default=add_months(this_month, -1))
    first, last = statistics.period_of_local_days(month, month_end(month), zone)
    filters = statistics.StatisticsFilters(start=first, end=last)
    session = db.session
    return render_template(
        "dashboard/report.html",
        month=month, previous=add_months(month, -1), following=add_months(month, 1), this_month=this_month,
        language=_language(), generated_at=now,
        headline=statistics.headline(session, filters, now),
        times_by_kind=statistics.response_times_by_kind(session, filters),
        times_by_partner=statistics.response_times_by_partner(session, filters, per_page=20),
        open_pages={kind: statistics.open_by_partner(session, filters, kind, now, per_page=20)
                    for kind in PartnerKind},
        by_status=statistics.open_by_status(session, filters),
        overdue=statistics.overdue(session, filters, now, per_page=50),
        stages=statistics.STAGES,
    )


def _report_month(text: str | None, default: date) -> date:
    try:
        return parse_month(text) or default
    except ValueError:
        return default


@bp.get("/export/<table>.<fmt>")
@role_required(*HEADS)
def export(table: str, fmt: str):
    if fmt not in FORMATS or table not in tables.DASHBOARD_TABLES:
        abort(404)
    form = _filter_form()
    zone = local_zone()
    partner_id = None
    if code := request.args.get("partner"):
        partner_id = db.session.scalar(select(Partner.id).where(Partner.code == code))
        if partner_id is None:
            abort(404)
    filters = form.filters(zone, partner_id=partner_id)
    title, header, rows = tables.DASHBOARD_TABLES[table](db.session, filters, utcnow(), zone, _language())
    return download(f"coop-{table}-{utcnow().astimezone(zone):%Y%m%d}", fmt, title, header, rows, zone)


@bp.get("/export/requests.<fmt>")
def export_requests(fmt: str):
    """Any filtered request list, with the list's own filters and the user's own visibility."""
    if fmt not in FORMATS:
        abort(404)
    zone = local_zone()
    title, header, rows = tables.request_list(db.session, current_user, request.args, utcnow(), zone, _language())
    return download(f"coop-requests-{utcnow().astimezone(zone):%Y%m%d}", fmt, title, header, rows, zone)
