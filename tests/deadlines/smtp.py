"""A real SMTP server for the tests (aiosmtpd), which can be told to fail and be stopped and started again."""

import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """What the server accepted; after `accept_only` messages it answers 421 and shuts down."""

    def __init__(self):
        self.messages: list[Message] = []
        self.lock = threading.Lock()
        self.accept_only: int | None = None
        self.server: SmtpServer | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example"):
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.accept_only is not None and len(self.messages) >= self.accept_only:
                if self.server is not None:
                    self.server.stop_soon()
                return "421 Service shutting down"
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"

    def reminder_ids(self) -> list[int]:
        """Every reminder id carried by an accepted message, once per message that carried it."""
        with self.lock:
            return [int(item) for message in self.messages
                    for item in (message["X-Coop-Reminders"] or "").split(",") if item]

    def message_ids(self) -> list[str]:
        with self.lock:
            return [message["Message-ID"] for message in self.messages]


class SmtpServer:
    """aiosmtpd on a port of its own, stopped and restarted on the same port at will."""

    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox
        mailbox.server = self
        self.port = free_port()
        self.controller: Controller | None = None
        self._stopper: threading.Thread | None = None

    def start(self) -> None:
        for _attempt in range(50):
            try:
                self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
                self.controller.start()
                return
            except OSError:  # the port is still being released
                time.sleep(0.1)
        raise RuntimeError("the test SMTP server did not start")

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def stop_soon(self) -> None:
        """Stop from outside the server's own loop (a handler cannot stop the loop it runs in)."""
        if self._stopper is None:
            self._stopper = threading.Thread(target=self._stop_after_reply, daemon=True)
            self._stopper.start()

    def _stop_after_reply(self) -> None:
        time.sleep(0.2)
        self.stop()

    def wait_stopped(self) -> None:
        if self._stopper is not None:
            self._stopper.join(timeout=10)
            self._stopper = None
