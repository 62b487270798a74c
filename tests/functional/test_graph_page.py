"""The graph page degrades to a clear message when Neo4j cannot be reached."""

from __future__ import annotations

from tests.functional.test_cases import open_case_via_web


def test_graph_page_says_the_graph_is_unavailable_and_counts_the_backlog(auth, client, officer):
    auth.login(officer)
    location = open_case_via_web(client).headers["Location"]
    response = client.get(location + "/graph/")
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "The link graph is unavailable right now; 1 changes are waiting" in text
    assert "Traceback" not in text


def test_graph_json_endpoints_answer_503_as_json_when_unavailable(auth, client, officer):
    auth.login(officer)
    location = open_case_via_web(client).headers["Location"]
    response = client.get(location + "/graph/expand/1.json")
    assert response.status_code == 503
