"""Identifiers that connect cases: one identifier across every request naming it, and the networks of cases.

An identifier is known by its *key*: its kind and canonical form (`coop.domain.identifiers`: E.164 phone, lower-
cased handle per platform, IP address, checksummed wallet ...). Two cases are connected when requests of both
name the same key, or keys an officer marked as the same person's (`IdentifierLink`); a *network* is a connected
group of cases (a connected component of the graph of cases and keys).

An IP address connects only within its time window: operators hand an address to another subscriber within hours,
so the times it was seen (`identifier.observed_at`) are cut into *sessions* wherever two successive times lie more
than `IP_SESSION_GAP` apart, and each session is a key of its own (`IpSession`) in the walks below.

Need-to-know: what a user is shown is explored over the requests that user may see (`may_see_request_id`), so a
restricted request never connects, names or counts anything for someone who may not open it. The stored
components (`case_network`, `network`) count everything; they serve the head's list of networks only, which
heads (who see everything) alone may read.

The stored components are refreshed by session listeners in the same transaction as every change to
identifiers, requests' cases and links: each flush notes the cases it touches, and just before the commit the
networks around them are walked again (their old networks too, so a network that falls apart is split), once
per transaction; `rebuild` recounts them all after bulk writes.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    delete,
    distinct,
    event,
    func,
    insert,
    inspect,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session

from coop.domain.access import may_see_request_id
from coop.domain.identifiers import ACCOUNT_PLATFORMS, PARSERS, IdentifierError, key_condition
from coop.domain.workflow import FINAL
from coop.models import (
    Case,
    CaseNetwork,
    CooperationRequest,
    Direction,
    Document,
    DocumentKind,
    Identifier,
    IdentifierKind,
    IdentifierLink,
    Network,
    OpenDeadline,
    Partner,
    Role,
    Status,
    User,
)

Key = tuple[IdentifierKind, str]
_CHUNK = 400  # keys or ids per IN list
# A page shows at most this many requests of one identifier, and a network of at most this many cases: past it,
# the picture is unreadable and the department needs the export.
MAX_APPEARANCES = 500
MAX_NETWORK_CASES = 300
REASON_MAX = 2000
# Two sightings of one IP address further apart than this may be two subscribers (mobile carriers reassign their
# pools within hours; a fixed line keeps its address for about a day): they connect nothing.
IP_SESSION_GAP = timedelta(hours=24)


class NetworkProblem(Exception):
    """A link that cannot be recorded; `code` names the problem, for a message in the user's language."""

    def __init__(self, code: str, field: str = "reason"):
        super().__init__(code)
        self.code = code
        self.field = field


# ---------------------------------------------------------------- keys and components (no database)


def normalize_key(kind: IdentifierKind, value: str, platform: str | None = None, default_region: str = "KZ") -> Key:
    """The key of what an officer typed, as the request forms would store it (IdentifierError when unusable).

    Unlike a request's identifier, an IP address needs no time here: the key names the address; its times are
    those of the requests naming it."""
    value = " ".join((value or "").split())
    if not value:
        raise IdentifierError("required")
    platform = (platform or "").strip().lower() or None
    prefix, _colon, handle = value.partition(":")
    if kind == IdentifierKind.ACCOUNT and handle and prefix.lower() in ACCOUNT_PLATFORMS \
            and platform in (None, prefix.lower()):
        platform, value = prefix.lower(), handle  # a canonical form, as pages and the API show keys
    normalized, _platform = PARSERS[kind](value, platform, default_region)
    return kind, normalized


def ordered_pair(first: Key, second: Key) -> tuple[Key, Key]:
    """The pair in its stored order (the smaller key first); the same key twice is refused."""
    if first == second:
        raise NetworkProblem("same_identifier", "other_value")
    return (first, second) if (first[0].value, first[1]) < (second[0].value, second[1]) else (second, first)


class IpSession(tuple):
    """An IP address's key within one session (its sightings, each within `IP_SESSION_GAP` of the next).

    It reads as the address's key, (kind, address), wherever a key is shown, linked to or looked up, and differs
    from the same address's other sessions. `start` and `end` are its first and last sighting (None: sightings
    without a time, which match only one another)."""

    start: datetime | None
    end: datetime | None

    def __new__(cls, address: str, start: datetime | None, end: datetime | None = None):
        session = super().__new__(cls, (IdentifierKind.IP, address))
        session.start, session.end = start, end if end is not None else start
        return session

    def __eq__(self, other) -> bool:
        return isinstance(other, IpSession) and tuple(self) == tuple(other) and self.start == other.start

    def __ne__(self, other) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((*self, self.start))

    def __repr__(self) -> str:
        return f"IpSession({self[1]!r}, {self.start!r})"


def address_key(key: Key) -> Key:
    """The plain key of a key (an IP session's address; any other key itself)."""
    return (key[0], key[1]) if isinstance(key, IpSession) else key


def ip_sessions(address: str, times: Iterable[datetime | None]) -> dict[datetime | None, IpSession]:
    """The session of each time `address` was seen: times closer than `IP_SESSION_GAP` to the next one share it."""
    found: dict[datetime | None, IpSession] = {}
    timed = sorted({moment for moment in times if moment is not None})
    if any(moment is None for moment in times):
        found[None] = IpSession(address, None)
    run: list[datetime] = []
    for moment in [*timed, None]:
        if run and (moment is None or moment - run[-1] > IP_SESSION_GAP):
            session = IpSession(address, run[0], run[-1])
            found.update(dict.fromkeys(run, session))
            run = []
        if moment is not None:
            run.append(moment)
    return found


def _node(key: Key) -> tuple:
    return ("key", key[0].value, key[1], key.start) if isinstance(key, IpSession) else ("key", key[0].value, key[1])


def components(memberships: Iterable[tuple[int, Key]], links: Iterable[tuple[Key, Key]] = ()) -> dict[int, int]:
    """For each case connected to at least one other, the smallest case id of its connected group.

    `memberships` says which case names which key (through any of its requests), `links` which keys are the same
    person's. A case alone (naming only keys no other case names) gets no entry."""
    parent: dict = {}

    def root(node):
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def join(first, second):
        first, second = root(first), root(second)
        if first != second:
            parent[max(first, second, key=repr)] = min(first, second, key=repr)

    cases = set()
    linked = set()
    for first, second in links:
        join(_node(first), _node(second))
        linked |= {first, second}
    for case_id, key in memberships:
        cases.add(case_id)
        join(("case", case_id), _node(key))
        if address_key(key) in linked:  # a link names an address: every session of it
            join(_node(key), _node(address_key(key)))
    groups: dict = defaultdict(list)
    for case_id in cases:
        groups[root(("case", case_id))].append(case_id)
    return {case_id: min(members) for members in groups.values() if len(members) > 1 for case_id in members}


# ---------------------------------------------------------------- exploring the graph


@dataclass
class Exploration:
    """What a walk from some cases found: the cases, which case names which key, the links between keys."""

    cases: set[int] = field(default_factory=set)
    memberships: set[tuple[int, Key]] = field(default_factory=set)
    links: set[tuple[Key, Key]] = field(default_factory=set)
    truncated: bool = False

    def keys_by_case_count(self) -> dict[Key, set[int]]:
        found: dict[Key, set[int]] = defaultdict(set)
        for case_id, key in self.memberships:
            found[key].add(case_id)
        return found


def _chunks(items: Iterable, size: int = _CHUNK):
    ordered = sorted(items, key=repr) if not all(isinstance(item, int) for item in items) else sorted(items)
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]


_SIGHTED_AT = case((Identifier.kind == IdentifierKind.IP, Identifier.observed_at))  # only an address's time matters


def _memberships(connection, condition: ColumnElement[bool], seen_by: ColumnElement[bool] | None):
    query = (select(CooperationRequest.case_id, Identifier.kind, Identifier.normalized, _SIGHTED_AT).distinct()
             .join(CooperationRequest, CooperationRequest.id == Identifier.request_id)
             .where(CooperationRequest.case_id.is_not(None), condition))
    if seen_by is not None:
        query = query.where(seen_by)
    rows = connection.execute(query).all()
    addresses = {normalized for _case, kind, normalized, _at in rows if kind == IdentifierKind.IP}
    sessions = _sessions_of(connection, addresses, seen_by) if addresses else {}
    return {(case_id, sessions[normalized][sighted_at] if kind == IdentifierKind.IP else (kind, normalized))
            for case_id, kind, normalized, sighted_at in rows}


def _sessions_of(connection, addresses: set[str], seen_by: ColumnElement[bool] | None):
    """Each address's sessions, from every sighting of it in a case's request the viewer may see (the stored
    networks see all): for each address, its sessions by sighting time."""
    times: dict[str, set] = defaultdict(set)
    for chunk in _chunks(addresses):
        query = (select(Identifier.normalized, Identifier.observed_at).distinct()
                 .join(CooperationRequest, CooperationRequest.id == Identifier.request_id)
                 .where(Identifier.kind == IdentifierKind.IP, Identifier.normalized.in_(chunk),
                        CooperationRequest.case_id.is_not(None)))
        if seen_by is not None:
            query = query.where(seen_by)
        for normalized, observed_at in connection.execute(query):
            times[normalized].add(observed_at)
    return {address: ip_sessions(address, found) for address, found in times.items()}


def _named_by_keys(connection, keys: list[Key], seen_by: ColumnElement[bool] | None) -> set[tuple[int, Key]]:
    """Who names `keys`: an IP session only in that session, a plain address (a link's end) in any of them."""
    wanted = set(keys)
    return {(case_id, key) for case_id, key in _memberships(connection, key_condition(keys), seen_by)
            if key in wanted or address_key(key) in wanted}


def _links_of(connection, keys: set[Key]) -> set[tuple[Key, Key]]:
    found = set()
    for chunk in _chunks({address_key(key) for key in keys}):
        rows = connection.execute(
            select(IdentifierLink.kind_a, IdentifierLink.normalized_a, IdentifierLink.kind_b,
                   IdentifierLink.normalized_b)
            .where(or_(tuple_(IdentifierLink.kind_a, IdentifierLink.normalized_a).in_(chunk),
                       tuple_(IdentifierLink.kind_b, IdentifierLink.normalized_b).in_(chunk))))
        found.update(((kind_a, normalized_a), (kind_b, normalized_b))
                     for kind_a, normalized_a, kind_b, normalized_b in rows)
    return found


def explore(connection, seeds: Iterable[int], seen_by: ColumnElement[bool] | None = None,
            max_cases: int | None = None) -> Exploration:
    """Walk from the cases `seeds` through the keys their requests name (and keys linked to those) to every
    connected case; only over requests that satisfy `seen_by` (a condition on identifier.request_id) if given.
    Stops adding cases past `max_cases` (and says so)."""
    found = Exploration()
    keys: set[Key] = set()
    frontier = set(seeds)
    while frontier:
        found.cases |= frontier
        new_keys: set[Key] = set()
        for chunk in _chunks(frontier):
            named = _memberships(connection, CooperationRequest.case_id.in_(chunk), seen_by)
            found.memberships |= named
            new_keys |= {key for _case, key in named} - keys
        # Keys marked as the same person's join the walk, whether or not a case named them yet.
        linked_frontier = set(new_keys)
        while linked_frontier:
            keys |= linked_frontier
            links = _links_of(connection, linked_frontier)
            found.links |= links
            others = {key for pair in links for key in pair} - keys
            new_keys |= others
            linked_frontier = others
        reached: set[int] = set()
        for chunk in _chunks(new_keys):
            named = _named_by_keys(connection, chunk, seen_by)
            found.memberships |= named
            reached |= {case_id for case_id, _key in named}
        frontier = reached - found.cases
        if max_cases is not None and len(found.cases) + len(frontier) > max_cases:
            frontier = set(sorted(frontier)[:max(0, max_cases - len(found.cases))])
            found.truncated = True
            found.cases |= frontier
            frontier = set()
    # Drop what a truncated walk reached beyond its cases, and links to keys no explored request names.
    found.memberships = {(case_id, key) for case_id, key in found.memberships if case_id in found.cases}
    named_keys = {address_key(key) for _case, key in found.memberships}
    found.links = {pair for pair in found.links if pair[0] in named_keys and pair[1] in named_keys}
    return found


def seen_by(user: User) -> ColumnElement[bool] | None:
    """The need-to-know condition on identifier.request_id for `user` (None: sees everything)."""
    if user.role in (Role.HEAD, Role.ADMIN):
        return None
    return may_see_request_id(user, Identifier.request_id)


# ---------------------------------------------------------------- the stored components


def refresh(connection: Connection, touched_cases: Iterable[int]) -> None:
    """Bring `case_network` and `network` in line around `touched_cases` (after their identifiers, requests or
    links changed): their old networks are walked again, so one that fell apart is split."""
    seeds = set(touched_cases)
    if not seeds:
        return
    for chunk in _chunks(set(seeds)):
        old = select(CaseNetwork.network_id).where(CaseNetwork.case_id.in_(chunk)).scalar_subquery()
        seeds |= set(connection.scalars(select(CaseNetwork.case_id).where(CaseNetwork.network_id.in_(old))))
    found = explore(connection, seeds)
    old_networks: set[int] = set()
    for chunk in _chunks(found.cases):
        old_networks |= set(connection.scalars(select(CaseNetwork.network_id).where(CaseNetwork.case_id.in_(chunk))))
        connection.execute(delete(CaseNetwork).where(CaseNetwork.case_id.in_(chunk)))
    for chunk in _chunks(old_networks):
        connection.execute(delete(Network).where(Network.id.in_(chunk)))
    _store(connection, found.memberships, found.links)


def _store(connection: Connection, memberships: set[tuple[int, Key]], links: set[tuple[Key, Key]]) -> None:
    """Write the components of `memberships` and `links` (whose old rows are gone) with their counts."""
    network_of = components(memberships, links)
    if not network_of:
        return
    members: dict[int, list[int]] = defaultdict(list)
    for case_id, network_id in network_of.items():
        members[network_id].append(case_id)
    cases_of_key: dict[Key, set[int]] = defaultdict(set)
    for case_id, key in memberships:
        if case_id in network_of:
            cases_of_key[key].add(case_id)
    shared: dict[int, int] = defaultdict(int)
    for key_cases in cases_of_key.values():
        if len(key_cases) > 1:
            shared[network_of[next(iter(key_cases))]] += 1
    requests_of_case: dict[int, int] = {}
    for chunk in _chunks(set(network_of)):
        requests_of_case.update(connection.execute(
            select(CooperationRequest.case_id, func.count()).where(CooperationRequest.case_id.in_(chunk))
            .group_by(CooperationRequest.case_id)).all())
    rows = [{"case_id": case_id, "network_id": network_id} for case_id, network_id in sorted(network_of.items())]
    for start in range(0, len(rows), 5000):
        connection.execute(insert(CaseNetwork), rows[start:start + 5000])
    connection.execute(insert(Network), [
        {"id": network_id, "case_count": len(cases), "identifier_count": shared[network_id],
         "request_count": sum(requests_of_case.get(case_id, 0) for case_id in cases)}
        for network_id, cases in sorted(members.items())])


def rebuild(connection: Connection) -> None:
    """Recount every network from the stored identifiers and links (after bulk writes that bypassed the session).

    Only keys that two cases name (or that a link names) can connect anything: those are found in SQL first, so a
    million requests with one identifier each do not travel to Python."""
    connection.execute(delete(CaseNetwork))
    connection.execute(delete(Network))
    shared_keys = (select(Identifier.kind, Identifier.normalized)
                   .join(CooperationRequest, CooperationRequest.id == Identifier.request_id)
                   .where(CooperationRequest.case_id.is_not(None))
                   .group_by(Identifier.kind, Identifier.normalized)
                   .having(func.count(distinct(CooperationRequest.case_id)) > 1))
    keys = {(kind, normalized) for kind, normalized in connection.execute(shared_keys)}
    links = {((kind_a, normalized_a), (kind_b, normalized_b)) for kind_a, normalized_a, kind_b, normalized_b in
             connection.execute(select(IdentifierLink.kind_a, IdentifierLink.normalized_a, IdentifierLink.kind_b,
                                       IdentifierLink.normalized_b))}
    keys |= {key for pair in links for key in pair}
    memberships: set[tuple[int, Key]] = set()
    for chunk in _chunks(keys):
        memberships |= _named_by_keys(connection, chunk, None)
    _store(connection, memberships, links)


# ---------------------------------------------------------------- the session listener


def _stored_case_ids(connection, request_ids: set[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(request_ids):
        found |= {case_id for case_id in connection.scalars(
            select(CooperationRequest.case_id).where(CooperationRequest.id.in_(chunk))) if case_id is not None}
    return found


def _cases_naming(connection, keys: set[Key]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(keys):
        found |= {case_id for case_id, _key in _named_by_keys(connection, chunk, None)}
    return found


def _changed(obj) -> bool:
    """Whether a stored identifier's key or time (an address's sessions), or a stored request's case, changes."""
    state = inspect(obj)
    names = ("kind", "normalized", "observed_at", "request_id") if isinstance(obj, Identifier) \
        else ("case_id", "case")
    return any(state.attrs[name].history.has_changes() for name in names)


def _before_flush(session: Session, _flush_context, _instances) -> None:
    stored = {obj for obj in session.dirty if obj.__class__ in (Identifier, CooperationRequest) and _changed(obj)}
    stored |= {obj for obj in session.deleted if obj.__class__ in (Identifier, CooperationRequest)}
    deleted_cases = [obj.id for obj in session.deleted if isinstance(obj, Case)]
    if not stored and not deleted_cases:
        return
    request_ids = {obj.request_id if isinstance(obj, Identifier) else obj.id for obj in stored}
    connection = session.connection()
    before = _stored_case_ids(connection, {request_id for request_id in request_ids if request_id is not None})
    if deleted_cases:  # its network's other cases must be walked again
        network = select(CaseNetwork.network_id).where(CaseNetwork.case_id.in_(deleted_cases)).scalar_subquery()
        before |= set(connection.scalars(select(CaseNetwork.case_id).where(CaseNetwork.network_id.in_(network))))
    session.info.setdefault("coop_network_cases", set()).update(before)
    session.info.setdefault("coop_network_requests", set()).update(request_ids)
    session.info.setdefault("coop_network_deleted_cases", set()).update(deleted_cases)


def _after_flush(session: Session, _flush_context) -> None:
    # Only noted here: the walk runs once per transaction, when it commits (a web request, an import, the demo
    # loader flush many times; walking the network at each flush would walk it again and again).
    request_ids = {obj.request_id for obj in session.new if isinstance(obj, Identifier)}
    request_ids |= {obj.id for obj in session.new if isinstance(obj, CooperationRequest)}
    request_ids |= {obj.request_id for obj in session.dirty if isinstance(obj, Identifier) and _changed(obj)}
    request_ids |= {obj.id for obj in session.dirty if isinstance(obj, CooperationRequest) and _changed(obj)}
    keys = {key for obj in (*session.new, *session.deleted) if isinstance(obj, IdentifierLink)
            for key in ((obj.kind_a, obj.normalized_a), (obj.kind_b, obj.normalized_b))}
    if request_ids:
        session.info.setdefault("coop_network_requests", set()).update(request_ids)
    if keys:
        session.info.setdefault("coop_network_keys", set()).update(keys)


def refresh_pending(session: Session) -> None:
    """Bring the stored networks in line with what this transaction changed so far (called before it commits)."""
    if session.info.get("coop_network_requests") is None and session.info.get("coop_network_keys") is None \
            and session.info.get("coop_network_cases") is None:
        return
    session.flush()
    cases = session.info.pop("coop_network_cases", set())
    request_ids = session.info.pop("coop_network_requests", set())
    keys = session.info.pop("coop_network_keys", set())
    deleted_cases = session.info.pop("coop_network_deleted_cases", set())
    connection = session.connection()
    cases |= _stored_case_ids(connection, {request_id for request_id in request_ids if request_id is not None})
    if keys:
        cases |= _cases_naming(connection, keys)
    refresh(connection, cases - deleted_cases)


def _forget_pending(session: Session, *_args) -> None:
    for name in ("coop_network_cases", "coop_network_requests", "coop_network_keys", "coop_network_deleted_cases"):
        session.info.pop(name, None)


def install(session_class) -> None:
    """Keep the networks of sessions of `session_class` in step with every transaction."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "before_flush", _before_flush)
        event.listen(session_class, "after_flush", _after_flush)
        event.listen(session_class, "before_commit", refresh_pending)
        event.listen(session_class, "after_rollback", _forget_pending)


# ---------------------------------------------------------------- one identifier


@dataclass(frozen=True)
class Appearance:
    """One request naming the identifier, with what the partner answered."""

    request_id: int
    reference: str
    direction: Direction
    status: Status
    title: str
    partner_id: int
    partner_code: str
    partner_name_ru: str
    partner_name_en: str
    case_id: int | None
    case_number: str | None
    value: str
    observed_at: datetime | None
    observed_zone: str | None
    created_at: datetime
    sent_or_received_at: datetime | None
    answered_at: datetime | None
    answer_documents: tuple[tuple[int, str], ...] = ()

    @property
    def no_data(self) -> bool:
        return self.status == Status.NO_DATA

    @property
    def seen_at(self) -> datetime:
        return self.observed_at or self.sent_or_received_at or self.created_at


@dataclass(frozen=True)
class Companion:
    """Another identifier named in the same requests, and in how many of them."""

    kind: IdentifierKind
    normalized: str
    requests: int


@dataclass(frozen=True)
class LinkView:
    """A link to another identifier, as the viewer may see it."""

    id: int
    other: Key
    reason: str
    created_by: str | None
    created_at: datetime


@dataclass
class IdentifierPage:
    """Everything the viewer may know of one key."""

    key: Key
    appearances: list[Appearance]
    hidden: int
    companions: list[Companion]
    links: list[LinkView]
    truncated: bool = False

    @property
    def first_seen(self) -> datetime | None:
        return min((item.seen_at for item in self.appearances), default=None)

    @property
    def last_seen(self) -> datetime | None:
        return max((item.seen_at for item in self.appearances), default=None)

    @property
    def case_ids(self) -> set[int]:
        return {item.case_id for item in self.appearances if item.case_id is not None}

    @property
    def partner_count(self) -> int:
        return len({item.partner_id for item in self.appearances})

    def sessions(self) -> list[tuple[IpSession, int]]:
        """An IP address's sessions on this page, latest first, with how many requests saw it in each."""
        if self.key[0] != IdentifierKind.IP:
            return []
        session_of = ip_sessions(self.key[1], [item.observed_at for item in self.appearances])
        counts: dict[IpSession, set[int]] = defaultdict(set)
        for item in self.appearances:
            counts[session_of[item.observed_at]].add(item.request_id)
        return sorted(((session, len(requests)) for session, requests in counts.items()),
                      key=lambda item: (item[0].start is not None, item[0].start or datetime.min), reverse=True)


def identifier_page(session: Session, user: User, key: Key) -> IdentifierPage | None:
    """What `user` may see of `key`; None when no request they may see names it (whether or not others do)."""
    kind, normalized = key
    condition = seen_by(user)
    query = (select(CooperationRequest.id, CooperationRequest.reference, CooperationRequest.direction,
                    CooperationRequest.status, CooperationRequest.title, Partner.id, Partner.code, Partner.name_ru,
                    Partner.name_en, Case.id, Case.number, Identifier.value, Identifier.observed_at,
                    Identifier.observed_zone, CooperationRequest.created_at,
                    func.coalesce(CooperationRequest.sent_at, CooperationRequest.received_at),
                    CooperationRequest.answered_at)
             .select_from(Identifier)
             .join(CooperationRequest, CooperationRequest.id == Identifier.request_id)
             .join(Partner, Partner.id == CooperationRequest.partner_id)
             .outerjoin(Case, Case.id == CooperationRequest.case_id)
             .where(Identifier.kind == kind, Identifier.normalized == normalized)
             .order_by(CooperationRequest.created_at.desc(), CooperationRequest.id.desc(), Identifier.id)
             .limit(MAX_APPEARANCES + 1))
    if condition is not None:
        query = query.where(condition)
    rows = session.execute(query).all()
    if not rows:
        return None
    truncated = len(rows) > MAX_APPEARANCES
    rows = rows[:MAX_APPEARANCES]
    request_ids = sorted({row[0] for row in rows})
    documents: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for chunk in _chunks(request_ids):
        for request_id, document_id, name in session.execute(
                select(Document.request_id, Document.id, Document.original_name)
                .where(Document.request_id.in_(chunk), Document.kind == DocumentKind.ANSWER)
                .order_by(Document.id)):
            documents[request_id].append((document_id, name))
    appearances = [Appearance(*row, answer_documents=tuple(documents.get(row[0], ()))) for row in rows]
    total = session.scalar(select(func.count(distinct(Identifier.request_id)))
                           .where(Identifier.kind == kind, Identifier.normalized == normalized))
    hidden = max(0, total - len(request_ids)) if not truncated else 0
    return IdentifierPage(key, appearances, hidden, _companions(session, key, request_ids),
                          visible_links(session, user, key), truncated)


def _companions(session: Session, key: Key, request_ids: list[int]) -> list[Companion]:
    counts: dict[Key, int] = defaultdict(int)
    for chunk in _chunks(request_ids):
        for kind, normalized, count in session.execute(
                select(Identifier.kind, Identifier.normalized, func.count(distinct(Identifier.request_id)))
                .where(Identifier.request_id.in_(chunk),
                       or_(Identifier.kind != key[0], Identifier.normalized != key[1]))
                .group_by(Identifier.kind, Identifier.normalized)):
            counts[(kind, normalized)] += count
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0][0].value, item[0][1]))[:100]
    return [Companion(kind, normalized, count) for (kind, normalized), count in ordered]


def key_is_visible(session: Session, user: User, key: Key) -> bool:
    """Whether a request `user` may see names `key`."""
    query = select(Identifier.id).where(Identifier.kind == key[0], Identifier.normalized == key[1]).limit(1)
    if (condition := seen_by(user)) is not None:
        query = query.where(condition)
    return session.scalar(query) is not None


def visible_links(session: Session, user: User, key: Key) -> list[LinkView]:
    """The links of `key` to keys `user` may see (a link to a key only restricted requests name stays hidden)."""
    rows = session.execute(
        select(IdentifierLink, User.full_name).outerjoin(User, User.id == IdentifierLink.created_by_id)
        .where(or_(and_(IdentifierLink.kind_a == key[0], IdentifierLink.normalized_a == key[1]),
                   and_(IdentifierLink.kind_b == key[0], IdentifierLink.normalized_b == key[1])))
        .order_by(IdentifierLink.created_at, IdentifierLink.id)).all()
    found = []
    for link, author in rows:
        first = (link.kind_a, link.normalized_a)
        other = (link.kind_b, link.normalized_b) if first == key else first
        if key_is_visible(session, user, other):
            found.append(LinkView(link.id, other, link.reason, author, link.created_at))
    return found


def add_link(session: Session, user: User, first: Key, second: Key, reason: str, now: datetime) -> IdentifierLink:
    """Record that two keys are the same person's; both must be named in requests `user` may see."""
    reason = (reason or "").strip()
    if not reason:
        raise NetworkProblem("reason_required")
    if len(reason) > REASON_MAX:
        raise NetworkProblem("reason_too_long")
    (kind_a, normalized_a), (kind_b, normalized_b) = ordered_pair(first, second)
    # The same answer whether the other key is unknown or only in requests the user may not see.
    if not key_is_visible(session, user, first) or not key_is_visible(session, user, second):
        raise NetworkProblem("unknown_identifier", "other_value")
    exists = session.scalar(select(IdentifierLink.id).where(
        IdentifierLink.kind_a == kind_a, IdentifierLink.normalized_a == normalized_a,
        IdentifierLink.kind_b == kind_b, IdentifierLink.normalized_b == normalized_b))
    if exists is not None:
        raise NetworkProblem("already_linked", "other_value")
    link = IdentifierLink(kind_a=kind_a, normalized_a=normalized_a, kind_b=kind_b, normalized_b=normalized_b,
                          reason=reason, created_by_id=user.id, created_at=now)
    session.add(link)
    session.flush()
    return link


def remove_link(session: Session, user: User, link_id: int) -> IdentifierLink | None:
    """Delete a link whose two keys `user` may see; None when there is no such link for them."""
    link = session.get(IdentifierLink, link_id)
    if link is None or not (key_is_visible(session, user, (link.kind_a, link.normalized_a))
                            and key_is_visible(session, user, (link.kind_b, link.normalized_b))):
        return None
    session.delete(link)
    session.flush()
    return link


# ---------------------------------------------------------------- a case's network, as a user sees it


@dataclass(frozen=True)
class CaseNode:
    id: int
    number: str
    title: str
    requests: int
    open_requests: int


@dataclass
class CaseNetworkView:
    """The network around one case as `user` may see it: its cases, the keys two of them share, the links."""

    case_id: int
    cases: dict[int, CaseNode]
    shared_keys: dict[Key, set[int]]  # key -> the cases naming it (at least two, or a linked key)
    links: set[tuple[Key, Key]]
    truncated: bool

    def connections_of(self, case_id: int) -> dict[int, list[Key]]:
        """For each other case, the keys it shares with `case_id` directly."""
        found: dict[int, list[Key]] = defaultdict(list)
        for key, cases in self.shared_keys.items():
            if case_id in cases:
                for other in cases - {case_id}:
                    found[other].append(key)
        return found

    def paths_from_center(self) -> dict[int, list[Key]]:
        """For each other case, the keys through which it joins the network: shared with the case itself, or
        the keys it shares with any other case of the network."""
        direct = self.connections_of(self.case_id)
        found: dict[int, list[Key]] = {}
        for other in self.cases:
            if other == self.case_id:
                continue
            if other in direct:
                found[other] = sorted(direct[other], key=lambda key: (key[0].value, key[1]))
            else:
                found[other] = sorted((key for key, cases in self.shared_keys.items() if other in cases),
                                      key=lambda key: (key[0].value, key[1]))
        return found


def walk_within(connection, case_id: int, members: set[int], condition: ColumnElement[bool] | None,
                max_cases: int | None = None) -> Exploration:
    """The same walk as `explore`, inside a stored network `members` (which holds every case the walk can reach,
    whatever the viewer may see): its identifiers are read in a few queries, then walked in Python from the
    nearest cases outwards, so a deep chain of cases costs no query per step."""
    memberships: set[tuple[int, Key]] = set()
    for chunk in _chunks(members):
        memberships |= _memberships(connection, CooperationRequest.case_id.in_(chunk), condition)
    keys_of: dict[int, set[Key]] = defaultdict(set)
    cases_of: dict[Key, set[int]] = defaultdict(set)
    for member, key in memberships:
        keys_of[member].add(key)
        cases_of[key].add(member)
    keys_of_address: dict[Key, set[Key]] = defaultdict(set)  # a link names an address: all its sessions
    for key in cases_of:
        keys_of_address[address_key(key)].add(key)
    links = {pair for pair in _links_of(connection, set(cases_of))
             if pair[0] in keys_of_address and pair[1] in keys_of_address}
    linked: dict[Key, set[Key]] = defaultdict(set)
    for first, second in links:
        for one in keys_of_address[first]:
            for other in keys_of_address[second]:
                linked[one].add(other)
                linked[other].add(one)
    found = Exploration()
    order, seen_keys, frontier = [case_id], set(), [case_id]
    reached = {case_id}
    while frontier:
        following = []
        for current in frontier:
            pending = sorted(keys_of.get(current, ()), key=repr)
            while pending:
                key = pending.pop()
                if key in seen_keys:
                    continue
                seen_keys.add(key)
                pending.extend(linked.get(key, ()))
                for other in sorted(cases_of.get(key, ())):
                    if other not in reached:
                        reached.add(other)
                        following.append(other)
        order.extend(following)
        frontier = following
    if max_cases is not None and len(order) > max_cases:
        order, found.truncated = order[:max_cases], True
    found.cases = set(order)
    found.memberships = {(member, key) for member, key in memberships if member in found.cases}
    named = {address_key(key) for _member, key in found.memberships}
    found.links = {pair for pair in links if pair[0] in named and pair[1] in named}
    return found


def case_network(session: Session, user: User, case_id: int, max_cases: int = MAX_NETWORK_CASES) -> CaseNetworkView:
    """The cases connected to `case_id` through identifiers of requests `user` may see, and through what.

    The stored network (kept at every commit) bounds the walk: what a viewer may see of it is a part of it."""
    connection = session.connection()
    network_id = session.scalar(select(CaseNetwork.network_id).where(CaseNetwork.case_id == case_id))
    if network_id is None:  # connected to no other case when the last change was committed
        found = explore(connection, [case_id], seen_by(user), max_cases)
    else:
        members = set(session.scalars(select(CaseNetwork.case_id).where(CaseNetwork.network_id == network_id)))
        found = walk_within(connection, case_id, members, seen_by(user), max_cases)
    by_key = found.keys_by_case_count()
    linked = {key for pair in found.links for key in pair}
    shared = {key: cases for key, cases in by_key.items() if len(cases) > 1 or address_key(key) in linked}
    return CaseNetworkView(case_id, _case_nodes(session, user, found.cases), shared, found.links, found.truncated)


def _case_nodes(session: Session, user: User, case_ids: set[int]) -> dict[int, CaseNode]:
    from coop.domain.cases import request_counts  # noqa: PLC0415  (cases imports identifiers, which we import)

    nodes = {}
    for chunk in _chunks(case_ids):
        counts = request_counts(session, user, chunk)
        for found_id, number, title in session.execute(select(Case.id, Case.number, Case.title)
                                                       .where(Case.id.in_(chunk))):
            count = counts.get(found_id)
            nodes[found_id] = CaseNode(found_id, number, title, count.total if count else 0,
                                       count.open if count else 0)
    return nodes


def network_requests(session: Session, user: User, view: CaseNetworkView):
    """The rows of the network's export: every request `user` may see in its cases, with its shared keys."""
    from coop.domain.access import visible_requests  # noqa: PLC0415

    keys_of_request: dict[int, list[str]] = defaultdict(list)
    shared = set(view.shared_keys)
    for chunk in _chunks(set(view.cases)):
        rows = session.execute(
            select(Identifier.request_id, Identifier.kind, Identifier.normalized)
            .join(CooperationRequest, CooperationRequest.id == Identifier.request_id)
            .where(CooperationRequest.case_id.in_(chunk)).order_by(Identifier.id))
        for request_id, kind, normalized in rows:
            if (kind, normalized) in shared and f"{kind.value}: {normalized}" not in keys_of_request[request_id]:
                keys_of_request[request_id].append(f"{kind.value}: {normalized}")
    for chunk in _chunks(set(view.cases)):
        query = (visible_requests(user)
                 .with_only_columns(Case.number, Case.title, CooperationRequest.id, CooperationRequest.reference,
                                    CooperationRequest.direction, Partner.code, CooperationRequest.status,
                                    CooperationRequest.title,
                                    func.coalesce(CooperationRequest.sent_at, CooperationRequest.received_at),
                                    CooperationRequest.answered_at)
                 .join(Case, Case.id == CooperationRequest.case_id)
                 .join(Partner, Partner.id == CooperationRequest.partner_id)
                 .where(CooperationRequest.case_id.in_(chunk))
                 .order_by(Case.number, CooperationRequest.created_at, CooperationRequest.id))
        for number, case_title, request_id, *rest in session.execute(query):
            yield (number, case_title, *rest, "; ".join(keys_of_request.get(request_id, [])))


# ---------------------------------------------------------------- the head's list of networks


@dataclass(frozen=True)
class NetworkSummary:
    """One stored network and what a head wants to know of it."""

    id: int
    case_count: int
    request_count: int
    identifier_count: int
    partner_count: int
    open_deadlines: int
    oldest_unanswered_id: int | None
    oldest_unanswered_reference: str | None
    oldest_unanswered_sent_at: datetime | None
    first_case_number: str


def largest_networks(session: Session, limit: int = 25, offset: int = 0) -> tuple[list[NetworkSummary], int]:
    """The largest networks (by cases, then requests) and how many there are; for heads, who see everything."""
    networks = session.execute(select(Network).order_by(Network.case_count.desc(), Network.request_count.desc(),
                                                        Network.id.desc()).limit(limit).offset(offset)).scalars().all()
    total = session.scalar(select(func.count()).select_from(Network))
    ids = [network.id for network in networks]
    if not ids:
        return [], total
    # Counted in SQL from the covering index `ix_cooperation_request_case_progress`: the top networks hold tens of
    # thousands of requests, and converting each one's times in Python cost more than the rest of the page.
    partner_counts = dict(session.execute(
        select(CaseNetwork.network_id, func.count(distinct(CooperationRequest.partner_id)))
        .join(CooperationRequest, CooperationRequest.case_id == CaseNetwork.case_id)
        .where(CaseNetwork.network_id.in_(ids)).group_by(CaseNetwork.network_id)).all())
    oldest: dict[int, tuple] = {}
    # The times are checked here: on them, a database without statistics would walk every unanswered request
    # through the index on answered_at (100 ms at 1,000,000) instead of these networks' few open ones.
    for network_id, request_id, sent_at, answered_at in session.execute(
            select(CaseNetwork.network_id, CooperationRequest.id, CooperationRequest.sent_at,
                   CooperationRequest.answered_at)
            .join(CooperationRequest, CooperationRequest.case_id == CaseNetwork.case_id)
            .where(CaseNetwork.network_id.in_(ids), CooperationRequest.direction == Direction.OUTGOING,
                   CooperationRequest.status.not_in(FINAL))):
        if sent_at is None or answered_at is not None:
            continue
        if network_id not in oldest or (sent_at, request_id) < oldest[network_id]:
            oldest[network_id] = (sent_at, request_id)
    references = dict(session.execute(select(CooperationRequest.id, CooperationRequest.reference).where(
        CooperationRequest.id.in_([request_id for _sent, request_id in oldest.values()]))).all())
    oldest = {network_id: (request_id, references.get(request_id), sent_at)
              for network_id, (sent_at, request_id) in oldest.items()}
    deadlines = dict(session.execute(
        select(CaseNetwork.network_id, func.count(OpenDeadline.deadline_id))
        .join(CooperationRequest, CooperationRequest.case_id == CaseNetwork.case_id)
        .join(OpenDeadline, OpenDeadline.request_id == CooperationRequest.id)
        .where(CaseNetwork.network_id.in_(ids)).group_by(CaseNetwork.network_id)).all())
    numbers = dict(session.execute(select(Case.id, Case.number).where(Case.id.in_(ids))).all())
    return [NetworkSummary(network.id, network.case_count, network.request_count, network.identifier_count,
                           partner_counts.get(network.id, 0), deadlines.get(network.id, 0),
                           *oldest.get(network.id, (None, None, None)), numbers.get(network.id, ""))
            for network in networks], total


def stored_network_of(session: Session, case_id: int) -> Network | None:
    """The stored network of a case (for heads: it counts restricted requests too)."""
    return session.scalar(select(Network).join(CaseNetwork, CaseNetwork.network_id == Network.id)
                          .where(CaseNetwork.case_id == case_id))
