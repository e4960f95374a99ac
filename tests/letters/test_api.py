"""The letters in the API: a request's letters, drafting one (the .docx comes back), the register."""

from urllib.parse import unquote

from sqlalchemy import select

from coop.domain import letters
from coop.extensions import db
from coop.models import Letter
from tests.letters.conftest import COMPLETE, complete_request


def test_draft_a_letter_list_it_and_find_it_in_the_register(client, auth, dept, letter_templates):
    request = complete_request(dept, request_type_id=dept.mla.id, partner_id=dept.germany.id)
    incomplete = dept.new_request(request_type_id=dept.mla.id, partner_id=dept.germany.id)
    db.session.commit()
    auth.login("officer")
    response = client.post(f"/api/v1/requests/{request.id}/letters", json={"kind": "assistance", "language": "ru"})
    assert response.status_code == 201
    assert response.mimetype == letters.DOCX_CONTENT_TYPE
    number = unquote(response.headers["X-Letter-Number"])
    text = letters.docx_text(response.data)
    assert number in text and COMPLETE["facts"] in text
    listed = client.get(f"/api/v1/requests/{request.id}/letters").get_json()["items"]
    assert [item["number"] for item in listed] == [number] and listed[0]["state"] == "drafted"
    register = client.get("/api/v1/letters", query_string={"kind": "assistance", "partner": "DE"}).get_json()
    assert register["total"] == 1 and register["items"][0]["request_reference"] == request.reference

    refused = client.post(f"/api/v1/requests/{incomplete.id}/letters", json={"kind": "assistance"})
    assert refused.status_code == 422
    assert "Краткое изложение фактов" in refused.get_json()["error"]["fields"]["accept_gaps"]
    assert client.post(f"/api/v1/requests/{incomplete.id}/letters",
                       json={"kind": "assistance", "accept_gaps": True}).status_code == 201
    for body in ({"kind": "reply"}, {"kind": "memo"}, {"kind": "assistance", "language": "de"}, {"x": 1}):
        assert client.post(f"/api/v1/requests/{request.id}/letters", json=body).status_code == 422, body
    assert client.get("/api/v1/letters", query_string={"dated_from": "soon"}).status_code == 400
    assert db.session.scalar(select(db.func.count(Letter.id))) == 2


def test_an_administrator_reads_letters_but_drafts_none(client, auth, dept, letter_templates):
    request = complete_request(dept, request_type_id=dept.mla.id, partner_id=dept.germany.id)
    db.session.commit()
    auth.login("admin")
    assert client.post(f"/api/v1/requests/{request.id}/letters", json={"kind": "assistance"}).status_code == 403
    assert client.get(f"/api/v1/requests/{request.id}/letters").get_json() == {"items": []}
