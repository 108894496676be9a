def test_dashboard_needs_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_dashboard_for_employee(client, poster):
    client.force_login(poster)
    response = client.get("/")
    assert response.status_code == 200
    assert "Welcome, Paula" in response.content.decode()
