"""Need-to-know: which requests a user may see. Every lookup of a request goes through here."""

from sqlalchemy import ColumnElement, Select, exists, or_, select, true

from coop.models import CooperationRequest, Role, User, request_officer


def visible_requests(user: User) -> Select:
    """A SELECT of the requests `user` may see; add filters to it, never query the table directly.

    Heads and admins see everything; an officer sees every request that is not restricted, and the
    restricted ones they are assigned to.
    """
    query = select(CooperationRequest)
    if user.role in (Role.HEAD, Role.ADMIN):
        return query
    assigned = exists().where(
        request_officer.c.request_id == CooperationRequest.id, request_officer.c.user_id == user.id
    )
    return query.where(or_(CooperationRequest.restricted.is_(False), assigned))


def may_see_request_id(user: User, request_id) -> ColumnElement[bool]:
    """The same rule as `visible_requests`, as a condition on `request_id`, a column of another table (a
    reminder's, a deadline's): checked row by row, not by matching against the ids of every visible request."""
    if user.role in (Role.HEAD, Role.ADMIN):
        return true()
    # Aliases: the query around may read these tables itself, and they must not be correlated with it.
    request, assignment = CooperationRequest.__table__.alias("seen_request"), request_officer.alias("seen_officer")
    return or_(exists().where(request.c.id == request_id, request.c.restricted.is_(False)),
               exists().where(assignment.c.request_id == request_id, assignment.c.user_id == user.id))


def can_see(user: User, request: CooperationRequest) -> bool:
    """The same rule as `visible_requests`, for a request already loaded."""
    if user.role in (Role.HEAD, Role.ADMIN) or not request.restricted:
        return True
    return any(officer.id == user.id for officer in request.officers)


def can_edit(user: User, request: CooperationRequest) -> bool:
    """Officers and heads work on requests; admins manage users and settings, and only read."""
    return user.role in (Role.OFFICER, Role.HEAD) and can_see(user, request)
