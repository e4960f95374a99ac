"""The API's routes for a request's notes, identifiers and documents: the web page's rules (who may see, who may
write, the same checks of what is written and uploaded, SHA-256 storage, attachment downloads), JSON refusals in
the caller's language, and nothing of a restricted request shown to an officer not assigned to it."""

import hashlib
import io

import pytest
from sqlalchemy import func, select

from coop.extensions import db
from coop.models import Document, EventKind, Identifier, RequestEvent
from tests.api.helpers import bearer, seed_api_world

RUSSIAN_BLANK = "Не может быть пустым."
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def world(app):
    world = seed_api_world(db.session)
    db.session.commit()
    return world


def _count(model, **where) -> int:
    db.session.rollback()
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def _upload(client, token: str, request_id: int, content: bytes = PDF, name: str = "Запрос.pdf", **fields):
    data = {"file": (io.BytesIO(content), name), **fields}
    return client.post(f"/api/v1/requests/{request_id}/documents", headers=bearer(token), data=data,
                       content_type="multipart/form-data")


def test_notes_are_added_and_listed_with_the_token_that_wrote_them(client, world):
    url = f"/api/v1/requests/{world.outgoing_id}/notes"
    added = client.post(url, headers=bearer(world.write_token), json={"text": "  Звонил в Meta: запрос в работе. "})
    assert added.status_code == 201, added.get_json()
    note = added.get_json()
    assert (note["text"], note["author"]["username"], note["via"], note["via_detail"]) == (
        "Звонил в Meta: запрос в работе.", "officer", "api", "write token")
    assert added.headers["Location"] == url

    listed = client.get(url, headers=bearer(world.read_token)).get_json()
    assert [item["id"] for item in listed["items"]] == [note["id"]] and listed["total"] == 1


def test_bad_notes_are_refused_field_by_field_and_nothing_is_written(client, world):
    url = f"/api/v1/requests/{world.outgoing_id}/notes"
    headers = bearer(world.write_token)
    for body, field in (({}, "text"), ({"text": "   "}, "text"), ({"text": 5}, "text"),
                        ({"text": "x" * 20001}, "text"), ({"text": "ok", "colour": "red"}, "colour"),
                        ({"text": "a\x00b"}, "text")):
        response = client.post(url, headers=headers, json=body)
        assert response.status_code == 422, body
        assert field in response.get_json()["error"]["fields"], body
    assert client.post(url, headers=headers, data="text", content_type="text/plain").status_code == 400
    russian = client.post(url, headers=bearer(world.head_token), json={"text": ""})  # the head reads Russian
    assert russian.get_json()["error"]["fields"]["text"] == [RUSSIAN_BLANK]
    assert _count(RequestEvent, kind=EventKind.NOTE) == 0


def test_identifiers_are_normalised_as_on_the_web_and_named_in_other_requests(client, world):
    headers = bearer(world.write_token)
    url = f"/api/v1/requests/{world.outgoing_id}/identifiers"
    phone = client.post(url, headers=headers, json={"kind": "phone", "value": "8 701 123 45 67", "note": "продавец"})
    assert phone.status_code == 201, phone.get_json()
    assert (phone.get_json()["normalized"], phone.get_json()["also_in"]) == ("+77011234567", [])
    ip = client.post(url, headers=headers, json={"kind": "ip", "value": "95.56.13.7",
                                                 "observed_at": "2026-11-28T14:05:09", "zone": "Asia/Almaty"})
    assert ip.status_code == 201, ip.get_json()
    assert ip.get_json()["observed_at"].startswith("2026-11-28T09:05:09")  # kept in UTC

    # The head names the same phone in the incoming request: each sees the other there.
    other = client.post(f"/api/v1/requests/{world.incoming_id}/identifiers", headers=bearer(world.head_token),
                        json={"kind": "phone", "value": "+7 (701) 123-45-67"})
    assert [link["id"] for link in other.get_json()["also_in"]] == [world.outgoing_id]
    listed = client.get(url, headers=bearer(world.read_token)).get_json()["items"]
    assert [item["kind"] for item in listed] == ["phone", "ip"]
    assert [link["id"] for link in listed[0]["also_in"]] == [world.incoming_id]


def test_bad_identifiers_are_refused_with_the_web_forms_messages(client, world):
    headers = bearer(world.write_token) | {"Accept-Language": "en"}
    url = f"/api/v1/requests/{world.outgoing_id}/identifiers"
    refusals = [
        ({"value": "+77011234567"}, "kind", "This field is required."),
        ({"kind": "fax", "value": "1"}, "kind", "Must be one of"),
        ({"kind": "phone", "value": "12"}, "value", "Not a valid phone number"),
        ({"kind": "ip", "value": "95.56.13.7"}, "observed_at", "exact time"),
        ({"kind": "ip", "value": "10.0.0.1", "observed_at": "2026-11-28T14:05:09"}, "value", "private"),
        ({"kind": "ip", "value": "95.56.13.7", "observed_at": "28.11.2026 14:05"}, "observed_at", "YYYY-MM-DD"),
        ({"kind": "ip", "value": "95.56.13.7", "observed_at": "2026-13-28T14:05:09"}, "observed_at", "YYYY-MM-DD"),
        ({"kind": "ip", "value": "95.56.13.7", "observed_at": "2026-11-28T14:05:09", "zone": "Mars/Olympus"},
         "zone", "Unknown time zone"),
        ({"kind": "account", "value": "fake_shop_kz", "platform": "myspace"}, "platform", "Not one of the platforms"),
    ]
    for body, field, message in refusals:
        response = client.post(url, headers=headers, json=body)
        assert response.status_code == 422, body
        assert message in " ".join(response.get_json()["error"]["fields"][field]), response.get_json()
    client.post(url, headers=headers, json={"kind": "email", "value": "Seller@Example.KZ"})
    twice = client.post(url, headers=headers, json={"kind": "email", "value": "seller@example.kz"})
    assert twice.status_code == 422
    assert twice.get_json()["error"]["fields"] == {"value": ["This identifier is already named in this request."]}
    assert _count(Identifier) == 1


def test_a_document_is_stored_under_its_sha256_and_downloaded_as_an_attachment(client, world, app):
    uploaded = _upload(client, world.write_token, world.outgoing_id, kind="answer", dated="2026-11-20",
                       note="Ответ Meta")
    assert uploaded.status_code == 201, uploaded.get_json()
    document = uploaded.get_json()
    sha = hashlib.sha256(PDF).hexdigest()
    assert (document["sha256"], document["size"], document["content_type"], document["kind"], document["dated"]) == (
        sha, len(PDF), "application/pdf", "answer", "2026-11-20")
    assert uploaded.headers["Location"] == document["download_url"]
    stored = app.config["COOP_UPLOAD_FOLDER"] + f"/{sha[:2]}/{sha}"
    with open(stored, "rb") as handle:
        assert handle.read() == PDF
    history = db.session.scalar(select(RequestEvent).where(RequestEvent.kind == EventKind.DOCUMENT))
    assert (history.via, history.document_id) == ("api", document["id"])

    listed = client.get(f"/api/v1/requests/{world.outgoing_id}/documents", headers=bearer(world.read_token))
    assert [item["id"] for item in listed.get_json()["items"]] == [document["id"]]
    download = client.get(document["download_url"], headers=bearer(world.read_token))
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    download.close()

    # A stored file altered behind coop's back is never served.
    with open(stored, "wb") as handle:
        handle.write(PDF + b"tampered")
    altered = client.get(document["download_url"], headers=bearer(world.read_token))
    assert altered.status_code == 500 and "SHA-256" in altered.get_json()["error"]["message"]


def test_bad_uploads_are_refused_and_nothing_is_attached(client, world, app):
    app.config["COOP_MAX_DOCUMENT_BYTES"] = 1024
    headers = bearer(world.write_token) | {"Accept-Language": "en"}
    url = f"/api/v1/requests/{world.outgoing_id}/documents"
    no_file = client.post(url, headers=headers, data={"kind": "answer"}, content_type="multipart/form-data")
    assert no_file.status_code == 422 and no_file.get_json()["error"]["fields"]["file"] == ["Choose a file."]
    as_json = client.post(url, headers=headers, json={"file": "JVBERi0="})
    assert as_json.status_code == 415
    for content, name, fields, field, message in (
        (PDF, "a.pdf", {"kind": "poem"}, "kind", "Must be one of"),
        (PDF, "a.pdf", {"dated": "20.11.2026"}, "dated", "YYYY-MM-DD"),
        (PDF, "a.pdf", {"colour": "red"}, "colour", "Unknown field."),
        (b"", "empty.pdf", {}, "file", "The file is empty."),
        (b"MZ\x90\x00", "tool.exe", {}, "file", "cannot be attached"),
        (b"plain text", "renamed.pdf", {}, "file", "does not match its extension"),
    ):
        response = _upload(client, world.write_token, world.outgoing_id, content, name, **fields)
        assert response.status_code == 422, (name, fields, response.get_json())
        assert message in " ".join(response.get_json()["error"]["fields"][field])
    too_large = _upload(client, world.write_token, world.outgoing_id, PDF + b"0" * 2048, "big.pdf")
    assert too_large.status_code == 413 and "file" in too_large.get_json()["error"]["fields"]
    assert _upload(client, world.write_token, world.outgoing_id).status_code == 201
    twice = _upload(client, world.write_token, world.outgoing_id, name="copy.pdf")
    assert twice.status_code == 422 and "already attached" in twice.get_json()["error"]["fields"]["file"][0]
    assert _count(Document) == 1


def test_read_only_tokens_and_administrators_cannot_write_and_nobody_sees_a_restricted_request(client, world):
    read_only, admin = bearer(world.read_token), bearer(world.admin_token)
    base = f"/api/v1/requests/{world.outgoing_id}"
    writes = [("notes", {"json": {"text": "Заметка"}}),
              ("identifiers", {"json": {"kind": "email", "value": "a@b.kz"}})]
    for part, body in writes:
        refused = client.post(f"{base}/{part}", headers=read_only, **body)
        assert (refused.status_code, refused.get_json()["error"]["code"]) == (403, "read_only_token")
        assert client.post(f"{base}/{part}", headers=admin, **body).status_code == 403
    upload = _upload(client, world.read_token, world.outgoing_id)
    assert upload.status_code == 403
    assert _upload(client, world.admin_token, world.outgoing_id).status_code == 403

    # The restricted request (assigned to a colleague only) and all of it: a 404, read or written.
    document = _upload(client, world.head_token, world.restricted_id).get_json()
    hidden = f"/api/v1/requests/{world.restricted_id}"
    officer = bearer(world.write_token)
    for path in ("/notes", "/identifiers", "/documents", f"/documents/{document['id']}"):
        assert client.get(hidden + path, headers=officer).status_code == 404, path
        seen = client.get(hidden + path, headers=bearer(world.head_token))
        assert seen.status_code == 200, path
        seen.close()
    for part, body in writes:
        assert client.post(f"{hidden}/{part}", headers=officer, **body).status_code == 404
    assert _upload(client, world.write_token, world.restricted_id).status_code == 404
    # A document of one request is not found under another.
    assert client.get(f"{base}/documents/{document['id']}", headers=bearer(world.head_token)).status_code == 404
    assert _count(RequestEvent, kind=EventKind.NOTE) == 0 and _count(Identifier) == 0 and _count(Document) == 1
