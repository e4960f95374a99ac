"""Deadlines of requests (being written by the deadlines area)."""


def on_request_changed(session, request, now) -> None:
    """Recompute the clocks and reminders of `request` after it was created, edited or moved."""
