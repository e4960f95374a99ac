"""Running totals behind the department's figures, kept by `coop.domain.figures` in each change's transaction."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from coop.models.base import Base
from coop.models.partners import Direction, PartnerKind
from coop.models.requests import Status
from coop.models.user import enum_column

# The officer_id of the rows that count every request, whoever its officers (an officer's rows count theirs).
ALL_OFFICERS = 0


class Measure(enum.StrEnum):
    """What a monthly tally row counts, in the local month of the milestone."""

    SENT = "sent"
    RECEIVED = "received"
    REPLIED = "replied"  # replies of any kind: answers, partial answers, refusals, "no data"
    REFUSED = "refused"  # the replies that were refusals
    NO_DATA = "no_data"  # the replies that said the partner holds no data
    ACKNOWLEDGE = "acknowledge"  # acknowledgements, by calendar days from sending (in `days`)
    ANSWER = "answer"  # replies, by calendar days from sending (in `days`)


# Composite keys are the tallies' only identity: no row ids, so SQLite stores each table in its key's order.
_WITHOUT_ROWID = {"sqlite_with_rowid": False}


class StatusTally(Base):
    """How many requests stand in each status now, by officer, partner, type and direction."""

    __tablename__ = "status_tally"
    __table_args__ = (_WITHOUT_ROWID,)

    officer_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    status: Mapped[Status] = mapped_column(enum_column(Status), primary_key=True)
    partner_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    request_type_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    direction: Mapped[Direction] = mapped_column(enum_column(Direction), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class MonthlyTally(Base):
    """How many requests reached a milestone in each local month, by officer, partner, type and direction.

    For the response measures `days` is the number of calendar days the partner took (the local date of the reply
    less that of the sending): percentiles are read from the cumulative counts. It is 0 for the plain counts.
    """

    __tablename__ = "monthly_tally"
    __table_args__ = (
        # One partner's figures over a period (a scorecard, a page of partners) read a slice of this index.
        Index("ix_monthly_tally_partner", "officer_id", "measure", "partner_id", "month_start", "request_type_id",
              "direction", "days", "count"),
        _WITHOUT_ROWID,
    )

    officer_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    measure: Mapped[Measure] = mapped_column(enum_column(Measure), primary_key=True)
    month_start: Mapped[datetime] = mapped_column(primary_key=True)  # the local month's first instant
    partner_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    request_type_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    direction: Mapped[Direction] = mapped_column(enum_column(Direction), primary_key=True)
    days: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer, default=0)


class MonthlyKindTally(Base):
    """The monthly tally added up over the partners of each kind: the department's figures read a few thousand
    rows of it where the tally by partner would have tens of thousands."""

    __tablename__ = "monthly_kind_tally"
    __table_args__ = (_WITHOUT_ROWID,)

    officer_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    measure: Mapped[Measure] = mapped_column(enum_column(Measure), primary_key=True)
    month_start: Mapped[datetime] = mapped_column(primary_key=True)
    partner_kind: Mapped[PartnerKind] = mapped_column(enum_column(PartnerKind), primary_key=True)
    request_type_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    direction: Mapped[Direction] = mapped_column(enum_column(Direction), primary_key=True)
    days: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer, default=0)


class OpenDeadline(Base):
    """An open deadline with what lists filter it by (its request's partner, type, direction and status).

    The open few percent of `deadline`, in a narrow table: overdue and due-this-week are counted and paged here
    without reading the wide request rows, which are joined for the page shown only.
    """

    __tablename__ = "open_deadline"
    __table_args__ = (
        Index("ix_open_deadline_due_at", "due_at", "deadline_id"),
        Index("ix_open_deadline_partner_id", "partner_id", "due_at"),
    )

    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadline.id", ondelete="CASCADE"), primary_key=True,
                                             autoincrement=False)
    request_id: Mapped[int] = mapped_column(index=True)
    due_at: Mapped[datetime]
    partner_id: Mapped[int]
    request_type_id: Mapped[int]
    direction: Mapped[Direction] = mapped_column(enum_column(Direction))
    request_status: Mapped[Status] = mapped_column(enum_column(Status))


class OfficerQueue(Base):
    """Each officer's open requests, with what their home page sorts them by: urgency, then the next deadline.

    Kept with the tallies (coop.domain.figures), so that an officer's most urgent requests are the first rows of
    an index, however many requests they carry.
    """

    __tablename__ = "officer_queue"
    __table_args__ = (
        Index("ix_officer_queue_order", "officer_id", "urgency_rank", "without_deadline", "next_due_at",
              "request_id"),
    )

    officer_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    request_id: Mapped[int] = mapped_column(ForeignKey("cooperation_request.id", ondelete="CASCADE"),
                                            primary_key=True, autoincrement=False, index=True)
    urgency_rank: Mapped[int]  # 0 emergency, 1 urgent, 2 normal
    without_deadline: Mapped[bool]  # requests with no running clock come after the others
    next_due_at: Mapped[datetime | None]


class RefusedRequest(Base):
    """Each refused request with what the scorecard filters it by, and the reason the partner gave (the comment of
    the latest transition to refused in its history).

    Kept with the tallies (coop.domain.figures), so that a partner's most frequent reasons are counted over its
    own rows, not read from the history of each refused request (70 ms on SQLite, 105 ms on PostgreSQL for the
    busiest partner at 1,000,000 requests). The reason is not indexed: it is free text, of any length.
    """

    __tablename__ = "refused_request"

    request_id: Mapped[int] = mapped_column(ForeignKey("cooperation_request.id", ondelete="CASCADE"),
                                            primary_key=True, autoincrement=False)
    partner_id: Mapped[int] = mapped_column(index=True)
    request_type_id: Mapped[int]
    direction: Mapped[Direction] = mapped_column(enum_column(Direction))
    reason: Mapped[str | None] = mapped_column(Text)
