"""The runner sends the outbox over real SMTP (an aiosmtpd catcher on a free port); a mail
server that is down, slow or refusing delays or drops mail, never the order."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

from aiosmtpd.controller import Controller

from storefront.extensions import db
from storefront.mail import queue_refund_request_answered, queue_refund_request_received
from storefront.models import Order, OutboxMessage, now_utc
from storefront.payments.reconcile import run_pass
from tests.notifications.conftest import make_awaiting, post_signed
from tests.support.mail import Catcher, free_port, smtp_settings

from .conftest import outbox

NBSP = "\u00a0"


def queue_two(app) -> None:
    with app.app_context():
        queue_refund_request_answered(
            request_id=1, order_id=None, order_number="261130-ABCDE", public_token="tok",
            email="anna@example.ru", language="en", issued=False, staff_message="Sorry")
        queue_refund_request_received(
            request_id=1, order_id=None, order_number="261130-ABCDE",
            lines=[("Mug", 1)], reason="Broken")
        db.session.commit()


def test_the_reconcile_command_sends_the_outbox_over_smtp(mail_app, catcher):
    queue_two(mail_app)
    result = mail_app.test_cli_runner().invoke(args=["invoicebox", "reconcile"])
    assert result.exit_code == 0, result.output

    buyer, staff = sorted(catcher.messages(), key=lambda m: m["To"] != "anna@example.ru")
    assert buyer["Subject"] == "Your refund request for order 261130-ABCDE is declined"
    assert buyer["From"] == "Sever Coffee <shop@sever-coffee.example>"
    assert buyer.get_content_type() == "multipart/alternative"
    assert "Sorry" in buyer.get_body(("plain",)).get_content()
    assert 'href="http://shop.test/orders/tok"' in buyer.get_body(("html",)).get_content()
    assert staff["To"] == "staff@sever-coffee.example"
    rows = outbox(mail_app)
    assert all(row.sent_at is not None and row.lease_owner is None for row in rows)
    assert {row.attempts for row in rows} == {0}
    ids = {m["Message-ID"] for m in catcher.messages()}
    assert len(ids) == 2 and all(i.endswith("@sever-coffee.example>") for i in ids)

    with mail_app.app_context():
        assert run_pass("again").mail.sent == 0
    assert len(catcher.files()) == 2  # sent once


def test_a_mail_server_that_is_down_delays_mail_without_failing_the_order(make_app, tmp_path):
    port = free_port()  # nothing listens there yet
    app = make_app(**smtp_settings(port))
    awaiting = make_awaiting(app)
    reply = post_signed(app.test_client(), awaiting.body())
    assert reply.get_json() == {"status": "success"}

    with app.app_context():
        report = run_pass("runner-a")
        assert (report.mail.sent, report.mail.deferred) == (0, 1)
        assert db.session.get(Order, awaiting.order_id).status == "paid"
    [row] = outbox(app)
    assert row.kind == "payment_received" and row.sent_at is None and row.failed_at is None
    assert row.attempts == 1 and "Connection refused" in row.last_error
    assert row.next_attempt_at > now_utc() + timedelta(seconds=50)  # backing off
    with app.app_context():
        assert run_pass("runner-a").mail.deferred == 0  # not due yet: not tried
    assert outbox(app)[0].attempts == 1

    with Catcher(tmp_path / "caught", port=port) as catcher:
        with app.app_context():  # the back-off has passed
            db.session.execute(db.update(OutboxMessage).values(
                next_attempt_at=now_utc() - timedelta(seconds=1)))
            db.session.commit()
            assert run_pass("runner-a").mail.sent == 1
        [message] = catcher.messages()
    assert message["Subject"] == f"Оплата заказа {awaiting.number} получена"
    assert f"2{NBSP}490,00{NBSP}₽" in message.get_body(("plain",)).get_content()
    [row] = outbox(app)
    assert row.sent_at is not None and row.last_error is None
    assert row.attempts == 1  # the failed try stays counted


def test_a_server_that_never_answers_times_out_and_the_message_waits(make_app):
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never speaks
        silent.listen()
        app = make_app(**smtp_settings(silent.getsockname()[1], SMTP_TIMEOUT=1))
        queue_two(app)
        with app.app_context():
            report = run_pass("runner-a")
    assert (report.mail.sent, report.mail.deferred) == (0, 2)
    assert all("timed out" in row.last_error and row.attempts == 1 for row in outbox(app))


class RefusesAnna:
    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address == "anna@example.ru":
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.accepted = [*getattr(self, "accepted", []), *envelope.rcpt_tos]
        return "250 OK"


def test_an_address_refused_for_good_is_given_up_and_the_rest_still_go(make_app):
    handler = RefusesAnna()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app = make_app(**smtp_settings(port))
        queue_two(app)
        with app.app_context():
            report = run_pass("runner-a")
    finally:
        controller.stop()
    assert (report.mail.sent, report.mail.failed, report.mail.deferred) == (1, 1, 0)
    assert handler.accepted == ["staff@sever-coffee.example"]
    refused = next(row for row in outbox(app) if row.recipient == "anna@example.ru")
    assert refused.failed_at is not None and "No such user" in refused.last_error


def test_without_smtp_host_mail_waits_in_the_outbox(make_app):
    app = make_app(STOREFRONT_STAFF_EMAIL="staff@sever-coffee.example")
    queue_two(app)
    with app.app_context():
        assert run_pass("runner-a").mail.skipped == "no SMTP_HOST"
    assert [row.attempts for row in outbox(app)] == [0, 0]


def test_the_outbox_is_never_sent_from_a_request(mail_app, catcher):
    """Placing an order queues its mail; nothing reaches the server until a runner runs."""
    awaiting = make_awaiting(mail_app)
    post_signed(mail_app.test_client(), awaiting.body())
    threading.Event().wait(0.3)
    assert catcher.files() == [] and len(outbox(mail_app)) == 1


def test_starttls_is_never_skipped_when_the_server_does_not_offer_it(make_app, catcher):
    app = make_app(**smtp_settings(catcher.port, SMTP_SECURITY="starttls"))
    queue_two(app)
    with app.app_context():
        assert run_pass("runner-a").mail.deferred == 2
    assert catcher.files() == []  # nothing went in the clear
    assert all("STARTTLS" in row.last_error for row in outbox(app))
