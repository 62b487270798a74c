def test_login_page_shows_the_system_use_notice(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert "System-use notice" in page.get_data(as_text=True)


def test_officer_logs_in_with_password_and_code(auth, client, officer):
    auth.login(officer)
    page = client.get("/")
    assert page.status_code == 200
    assert officer.username in page.get_data(as_text=True)
