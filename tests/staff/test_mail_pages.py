"""/staff/mail: the demo's caught mail for staff to read, in demo mode only, shown safely."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from .helpers import signed_in

NAME = "20261130-081500-123456-0a1b2c3d.eml"


def keep(folder, name: str = NAME) -> None:
    """A message as the catcher keeps it, with hostile subject, text and HTML."""
    message = EmailMessage()
    message["Subject"] = "Order <script>alert(1)</script> placed"
    message["From"] = "shop@sever-coffee.example"
    message["To"] = "anna@example.ru"
    message["Date"] = "Mon, 30 Nov 2026 08:15:00 +0000"
    message.set_content("Hello <img src=x onerror=alert(1)>\nhttp://shop.test/orders/tok\n")
    message.add_alternative('<p>Hi</p><script>alert("html")</script>', subtype="html")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(bytes(message))


@pytest.fixture
def demo(make_app, tmp_path):
    app = make_app(STOREFRONT_MODE="demo", STOREFRONT_MAIL_DIR=str(tmp_path / "mail"))
    keep(tmp_path / "mail")
    (tmp_path / "secret.eml").write_text("Subject: not the catcher's\n\nsecret\n")
    return signed_in(app)


def test_staff_read_the_caught_mail_in_demo_mode(demo):
    listing = demo.get("/staff/mail")
    assert listing.status_code == 200
    assert "Order &lt;script&gt;alert(1)&lt;/script&gt; placed" in listing.text
    assert "<script>alert(1)" not in listing.text
    assert f'href="/staff/mail/{NAME}"' in listing.text and "anna@example.ru" in listing.text
    assert 'href="/staff/mail"' in demo.get("/staff/orders").text  # in the staff navigation

    page = demo.get(f"/staff/mail/{NAME}")
    assert page.status_code == 200
    assert "Hello &lt;img src=x onerror=alert(1)&gt;" in page.text
    assert "alert(&#34;html&#34;)" not in page.text and 'alert("html")' not in page.text
    frame = f'title="The message as HTML" sandbox src="/staff/mail/{NAME}/html">'
    assert frame in page.text


def test_the_html_part_is_served_sandboxed_on_its_own(demo):
    html = demo.get(f"/staff/mail/{NAME}/html")
    assert html.status_code == 200 and html.mimetype == "text/html"
    policy = html.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy
    assert "script-src" not in policy  # scripts fall to default-src 'none'
    assert html.headers["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.parametrize("name", ["../secret.eml", "..%2Fsecret.eml", "secret.eml",
                                  "20261130-081500-123456-0a1b2c3d.txt",
                                  "20261130-081500-123456-ffffffff.eml"])
def test_only_the_catchers_files_are_read(demo, name):
    assert demo.get(f"/staff/mail/{name}").status_code == 404
    assert demo.get(f"/staff/mail/{name}/html").status_code == 404


def test_there_is_no_mail_page_outside_demo_mode(make_app, tmp_path):
    app = make_app(STOREFRONT_MAIL_DIR=str(tmp_path / "mail"))  # production
    keep(tmp_path / "mail")
    client = signed_in(app)
    for path in ("/staff/mail", f"/staff/mail/{NAME}", f"/staff/mail/{NAME}/html"):
        assert client.get(path).status_code == 404
    assert 'href="/staff/mail"' not in client.get("/staff/orders").text


def test_signed_out_visitors_are_sent_to_sign_in(make_app, tmp_path):
    app = make_app(STOREFRONT_MODE="demo", STOREFRONT_MAIL_DIR=str(tmp_path / "mail"))
    assert app.test_client().get("/staff/mail").status_code == 302
