"""What an address may carry: ids and page numbers the database can hold, and no NUL character.

Without these checks a hand-made URL (`/requests/99999999999999999999`, `?page=1e30` typed as digits,
`?q=%00`) reaches the database, which answers with an error, and the visitor gets a server error page.
"""

from flask import Flask, abort, request
from flask_babel import lazy_gettext as _l

from coop.errors import render_error

MAX_ID = 2**31 - 1  # the largest value of an INTEGER column
MAX_PAGE = 100_000  # further than any list goes; the offset of such a page still fits the database
NUL_IN_ADDRESS = _l("The address contains a NUL character.")
# The request list and its export explain a filter they cannot use beside the list, and keep the others
# (coop.domain.request_search): there a NUL in the query is theirs to explain, not a reason to refuse the page.
EXPLAIN_THEIR_FILTERS = frozenset({"requests.index", "dashboard.export_requests"})


def init_app(app: Flask) -> None:
    app.url_value_preprocessor(refuse_impossible_ids)
    app.before_request(refuse_nul_in_address)


def refuse_impossible_ids(_endpoint, values) -> None:
    """An id beyond what the database holds names nothing: 404."""
    if values and any(isinstance(value, int) and value > MAX_ID for value in values.values()):
        abort(404)


def refuse_nul_in_address():
    """A 400 for a path or query argument with a NUL character (no database can compare text with one).

    The JSON API answers the same in its own format (coop.api.errors).
    """
    if request.path.startswith("/api/"):
        return None
    in_query = request.endpoint not in EXPLAIN_THEIR_FILTERS and any(
        "\x00" in key or "\x00" in value for key, value in request.args.items(multi=True))
    if "\x00" in request.path or in_query:
        return render_error(400, str(NUL_IN_ADDRESS))
    return None


def id_argument(name: str) -> int | None:
    """The query argument `name` if it is an id the database can hold, else None."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ID else None


def page_argument() -> int:
    """The page number asked for in the query; the first page when it is missing or out of reach."""
    page = request.args.get("page", type=int)
    return page if page is not None and 0 < page <= MAX_PAGE else 1
