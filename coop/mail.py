"""The only code that speaks SMTP: it delivers what the outbox (coop.domain.outbox) claimed.

Delivery happens outside any database transaction, so a slow or absent mail server never holds a lock.
"""

import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import urlsplit

from coop.domain.outbox import Delivery, OutgoingMail


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int
    sender: str
    use_tls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 20.0

    @classmethod
    def from_config(cls, config: Mapping) -> "MailSettings":
        return cls(server=config["MAIL_SERVER"], port=int(config["MAIL_PORT"]), sender=config["MAIL_SENDER"],
                   use_tls=bool(config.get("MAIL_USE_TLS")), username=config.get("MAIL_USERNAME"),
                   password=config.get("MAIL_PASSWORD"), timeout=float(config.get("COOP_MAIL_TIMEOUT", 20)))


def message_domain(sender: str, base_url: str | None = None) -> str:
    """The domain for Message-IDs: the sender's, else the site's host."""
    address = parseaddr(sender)[1]
    if "@" in address:
        return address.rsplit("@", 1)[1]
    return urlsplit(base_url or "").hostname or "coop.localhost"


def build_message(mail: OutgoingMail, sender: str) -> EmailMessage:
    """The MIME message for an outbox row: plain text, with HTML as an alternative."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = mail.message_id
    message["Auto-Submitted"] = "auto-generated"
    for name, value in mail.headers.items():
        message[name] = value
    message.set_content(mail.body_text)
    if mail.body_html:
        message.add_alternative(mail.body_html, subtype="html")
    return message


def _connect(settings: MailSettings) -> smtplib.SMTP:
    connection = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
    try:
        if settings.use_tls:
            connection.starttls(context=ssl.create_default_context())
        if settings.username:
            connection.login(settings.username, settings.password or "")
    except Exception:
        connection.close()
        raise
    return connection


def _is_permanent(error: Exception) -> bool:
    """A 5xx answer about this message (a bad address): retrying would not help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500 and not isinstance(error, smtplib.SMTPAuthenticationError)
    return False


def deliver(messages: Sequence[OutgoingMail], settings: MailSettings) -> list[Delivery]:
    """Send `messages` over one connection; a message refused for now, or a lost server, is retried later.

    Once the server is unreachable the remaining messages are not tried in this round (attempted=False).
    """
    results: list[Delivery] = []
    if not messages:
        return results
    try:
        connection = _connect(settings)
    except (OSError, smtplib.SMTPException) as error:
        return [Delivery(mail.id, False, error=_describe(error), attempted=index == 0)
                for index, mail in enumerate(messages)]
    try:
        for index, mail in enumerate(messages):
            try:
                connection.send_message(build_message(mail, settings.sender))
            except smtplib.SMTPServerDisconnected as error:
                lost = error
            except smtplib.SMTPException as error:  # an answer about this message (SMTPException is an OSError)
                results.append(Delivery(mail.id, False, permanent=_is_permanent(error), error=_describe(error)))
                if _still_connected(connection):
                    continue
                lost = error
            except OSError as error:  # the connection broke
                lost = error
            else:
                results.append(Delivery(mail.id, True))
                continue
            if len(results) == index:
                results.append(Delivery(mail.id, False, error=_describe(lost)))
            results += [Delivery(later.id, False, error=_describe(lost), attempted=False)
                        for later in messages[index + 1:]]
            break
    finally:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()
    return results


def _still_connected(connection: smtplib.SMTP) -> bool:
    try:
        return connection.noop()[0] == 250
    except (OSError, smtplib.SMTPException):
        return False


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:1000]
