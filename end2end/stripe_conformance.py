"""Real-client conformance: Stripe's own Python SDK (stripe==16.1.0, API version
2026-10-28.endive) drives a running Regio Stripe emulator through the scenario Regio depends on.

    regio stripe-emulator --addr 127.0.0.1:12111 &
    end2end/.venv/bin/python end2end/stripe_conformance.py http://127.0.0.1:12111

The base URL comes from the first argument, else STRIPE_API_BASE, else http://127.0.0.1:12111.
Each step prints one line; the last line is `conformance: N passed, M failed`, and the exit status
is non-zero when any step failed. Use a freshly started emulator.
"""

import http.server
import json
import os
import sys
import threading
import time
import traceback
import urllib.request
import uuid

import stripe

EXPECTED_SDK = "16.1.0"
EXPECTED_API_VERSION = "2026-10-28.endive"
# Idempotency keys and refund references are unique per run, so runs can share an emulator.
RUN = uuid.uuid4().hex[:12]


class Capture(http.server.BaseHTTPRequestHandler):
    """A webhook endpoint on loopback that keeps every delivery it receives."""

    deliveries = []
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with Capture.lock:
            Capture.deliveries.append((body, self.headers.get("Stripe-Signature")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def check(condition, message):
    if not condition:
        raise AssertionError(message)


class Scenario:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.s = {}

    def step(self, name, action):
        try:
            detail = action()
        except Exception as e:  # every failure is reported, then the run goes on
            self.failed += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}")
            if os.environ.get("CONFORMANCE_TRACE"):
                traceback.print_exc()
            return
        self.passed += 1
        print(f"ok   {name}" + (f" ({detail})" if detail else ""))

    # -- setup -------------------------------------------------------------------------------

    def sdk_version(self):
        check(stripe.VERSION == EXPECTED_SDK, f"stripe {stripe.VERSION}, expected {EXPECTED_SDK}")
        check(stripe.api_version == EXPECTED_API_VERSION, f"API version {stripe.api_version}")
        return f"stripe {stripe.VERSION}, {stripe.api_version}"

    def webhook_endpoint(self):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Capture)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/webhooks"
        endpoint = stripe.WebhookEndpoint.create(url=url, enabled_events=["*"])
        check(endpoint.id.startswith("we_"), endpoint.id)
        check(endpoint.secret.startswith("whsec_"), "secret is not a whsec_ secret")
        self.s["secret"] = endpoint.secret
        return endpoint.id

    # -- payment records ---------------------------------------------------------------------

    def report_payment(self):
        now = int(time.time())
        self.s["report"] = dict(
            amount_requested={"currency": "jpy", "value": 5000},
            initiated_at=now,
            outcome="guaranteed",
            guaranteed={"guaranteed_at": now},
            payment_method_details={
                "type": "custom",
                "custom": {"type": "cpmt_conformance", "display_name": "Regio coin"},
            },
            processor_details={"type": "custom", "custom": {"payment_reference": "ledger-tx-1"}},
            metadata={"ledger_tx": "tx-1"},
        )
        record = stripe.PaymentRecord.report_payment(**self.s["report"], idempotency_key=f"conformance-{RUN}")
        check(record.object == "payment_record", record.object)
        check(record.id.startswith("pr_"), record.id)
        check(record.amount_guaranteed.value == 5000, record.amount_guaranteed)
        check(record.amount_guaranteed.currency == "jpy", record.amount_guaranteed)
        check(record.metadata["ledger_tx"] == "tx-1", record.metadata)
        check(record.processor_details.custom.payment_reference == "ledger-tx-1", record.processor_details)
        self.s["record"] = record.id
        return record.id

    def idempotent_replay(self):
        again = stripe.PaymentRecord.report_payment(**self.s["report"], idempotency_key=f"conformance-{RUN}")
        check(again.id == self.s["record"], f"replay returned {again.id}, expected {self.s['record']}")
        check(again.last_response.headers.get("Idempotent-Replayed") == "true", "no Idempotent-Replayed header")
        changed = dict(self.s["report"], metadata={"ledger_tx": "tx-2"})
        try:
            stripe.PaymentRecord.report_payment(**changed, idempotency_key=f"conformance-{RUN}")
        except stripe.IdempotencyError:
            return "replayed; other parameters refused"
        raise AssertionError("the same key with other parameters was accepted")

    def lost_response(self):
        # The emulator commits the next request and drops its connection; the SDK retries with
        # the idempotency key it generated and must get the saved result back.
        request = urllib.request.Request(
            f"{stripe.api_base}/_emulator/faults",
            data=json.dumps({"lose_next": 1}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {stripe.api_key}"},
        )
        urllib.request.urlopen(request).read()
        tag = f"lost-{RUN}"
        record = stripe.PaymentRecord.report_payment(**dict(self.s["report"], metadata={"ledger_tx": tag}))
        check(record.last_response.headers.get("Idempotent-Replayed") == "true", "the retry was not a replay")
        page = stripe.PaymentRecord.list(limit=100, created_after=int(time.time()) - 3600)
        copies = [r.id for r in page.data if r.metadata.to_dict().get("ledger_tx") == tag]
        check(copies == [record.id], f"recorded {len(copies)} times")
        return "applied once"

    def retrieve(self):
        record = stripe.PaymentRecord.retrieve(self.s["record"], expand=["latest_payment_attempt_record"])
        attempt = record.latest_payment_attempt_record
        check(attempt.object == "payment_attempt_record", attempt)
        check(attempt.payment_record == self.s["record"], attempt.payment_record)
        check(attempt.amount_guaranteed.value == 5000, attempt.amount_guaranteed)
        return attempt.id

    def list_records(self):
        page = stripe.PaymentRecord.list(limit=10, created_after=int(time.time()) - 3600)
        ids = [r.id for r in page.data]
        check(self.s["record"] in ids, f"{self.s['record']} not in {ids}")
        attempts = stripe.PaymentAttemptRecord.list(payment_record=self.s["record"])
        check(len(attempts.data) == 1, attempts)
        return f"{len(ids)} record(s)"

    def report_refund(self):
        now = int(time.time())
        record = stripe.PaymentRecord.report_refund(
            self.s["record"],
            outcome="refunded",
            amount={"currency": "jpy", "value": 1000},
            processor_details={"type": "custom", "custom": {"refund_reference": f"refund-{RUN}"}},
            refunded={"refunded_at": now},
        )
        check(record.amount_refunded.value == 1000, record.amount_refunded)
        return "amount_refunded 1000"

    def refund_over_remaining(self):
        try:
            stripe.PaymentRecord.report_refund(
                self.s["record"],
                outcome="refunded",
                amount={"currency": "jpy", "value": 4001},
                processor_details={"type": "custom", "custom": {"refund_reference": f"refund-{RUN}-2"}},
                refunded={"refunded_at": int(time.time())},
            )
        except stripe.InvalidRequestError as e:
            check(e.http_status == 400, e.http_status)
            check(e.param == "amount[value]", e.param)
            return "refused"
        raise AssertionError("a refund over the remaining amount was accepted")

    # -- invoices ----------------------------------------------------------------------------

    def customer_and_invoice(self):
        customer = stripe.Customer.create(name="Conformance", email="conformance@example.com")
        check(customer.id.startswith("cus_"), customer.id)
        invoice = stripe.Invoice.create(
            customer=customer.id, collection_method="send_invoice", days_until_due=30, currency="jpy"
        )
        check(invoice.status == "draft", invoice.status)
        item = stripe.InvoiceItem.create(customer=customer.id, invoice=invoice.id, amount=3000, currency="jpy")
        check(item.id.startswith("ii_"), item.id)
        check(item.invoice == invoice.id, item.invoice)
        self.s["customer"], self.s["invoice"] = customer.id, invoice.id
        return invoice.id

    def finalize(self):
        invoice = stripe.Invoice.finalize_invoice(self.s["invoice"])
        check(invoice.status == "open", invoice.status)
        check(invoice.amount_due == 3000, invoice.amount_due)
        check(invoice.amount_remaining == 3000, invoice.amount_remaining)
        check(invoice.due_date is not None, "no due date")
        return f"number {invoice.number}"

    def attach_payment(self):
        invoice = stripe.Invoice.attach_payment(
            self.s["invoice"], payment_record=self.s["record"], expand=["payments", "amount_paid_off_stripe"]
        )
        check(invoice.status == "paid", invoice.status)
        check(invoice.amount_paid == 3000, invoice.amount_paid)
        check(invoice.amount_remaining == 0, invoice.amount_remaining)
        check(invoice.amount_paid_off_stripe == 3000, invoice.amount_paid_off_stripe)
        check(len(invoice.payments.data) == 1, invoice.payments)
        return "invoice paid"

    def invoice_payments(self):
        by_invoice = stripe.InvoicePayment.list(invoice=self.s["invoice"])
        by_record = stripe.InvoicePayment.list(
            payment={"type": "payment_record", "payment_record": self.s["record"]}
        )
        check(len(by_invoice.data) == 1, by_invoice)
        payment = by_invoice.data[0]
        check(payment.id.startswith("inpay_"), payment.id)
        check(payment.status == "paid", payment.status)
        check(payment.amount_paid == 3000, payment.amount_paid)
        check(payment.payment.type == "payment_record", payment.payment)
        check(payment.payment.payment_record == self.s["record"], payment.payment)
        check([p.id for p in by_record.data] == [payment.id], by_record)
        check(stripe.InvoicePayment.retrieve(payment.id).invoice == self.s["invoice"], "retrieve")
        return payment.id

    def credit_note(self):
        note = stripe.CreditNote.create(
            invoice=self.s["invoice"],
            amount=1000,
            refunds=[
                {
                    "type": "payment_record_refund",
                    "payment_record_refund": {"payment_record": self.s["record"], "refund_group": f"refund-{RUN}"},
                    "amount_refunded": 1000,
                }
            ],
        )
        check(note.id.startswith("cn_"), note.id)
        check(note.amount == 1000, note.amount)
        check(note.post_payment_amount == 1000, note.post_payment_amount)
        check(note.refunds[0].payment_record_refund.refund_group == f"refund-{RUN}", note.refunds)
        listed = stripe.CreditNote.list(invoice=self.s["invoice"])
        check([n.id for n in listed.data] == [note.id], listed)
        return note.id

    def void_and_uncollectible(self):
        customer = self.s["customer"]
        made = []
        for action in ("void", "mark_uncollectible"):
            invoice = stripe.Invoice.create(customer=customer, collection_method="send_invoice", days_until_due=7, currency="jpy")
            stripe.InvoiceItem.create(customer=customer, invoice=invoice.id, amount=500, currency="jpy")
            stripe.Invoice.finalize_invoice(invoice.id)
            changed = getattr(stripe.Invoice, f"{action}_invoice" if action == "void" else action)(invoice.id)
            made.append(changed.status)
        check(made == ["void", "uncollectible"], made)
        for kind in ("invoice.voided", "invoice.marked_uncollectible"):
            check(stripe.Event.list(type=kind, limit=1).data, f"no {kind} event")
        return ", ".join(made)

    def delete_customer(self):
        customer = stripe.Customer.create(name=f"Leaving {RUN}")
        deleted = stripe.Customer.delete(customer.id)
        check(deleted.deleted is True and deleted.id == customer.id, deleted)
        again = stripe.Customer.retrieve(customer.id)
        check(getattr(again, "deleted", False) is True, again)
        event = stripe.Event.list(type="customer.deleted", limit=1).data
        check(event and event[0].data.object.id == customer.id, event)
        try:
            stripe.Customer.delete(customer.id)
        except stripe.InvalidRequestError:
            return customer.id
        raise AssertionError("a deleted customer was deleted again")

    # -- subscriptions paid with a custom payment method ---------------------------------------

    def custom_payment_method(self):
        clock = stripe.test_helpers.TestClock.create(frozen_time=int(time.time()), name=f"conformance {RUN}")
        customer = stripe.Customer.create(name="Wallet member", test_clock=clock.id)
        method = stripe.PaymentMethod.create(type="custom", custom={"type": "cpmt_conformance"})
        check(method.id.startswith("pm_") and method.type == "custom", method)
        check(method.custom.type == "cpmt_conformance", method.custom)
        attached = stripe.PaymentMethod.attach(method.id, customer=customer.id)
        check(attached.customer == customer.id, attached.customer)
        customer = stripe.Customer.modify(customer.id, invoice_settings={"default_payment_method": method.id})
        check(customer.invoice_settings.default_payment_method == method.id, customer.invoice_settings)
        product = stripe.Product.create(name=f"Membership {RUN}")
        prices = [
            stripe.Price.create(product=product.id, currency="jpy", unit_amount=amount, recurring={"interval": "month"})
            for amount in (1000, 2000)
        ]
        self.s["wallet"] = dict(clock=clock.id, customer=customer.id, method=method.id, prices=[p.id for p in prices])
        return method.id

    def payment_attempt_required(self):
        w = self.s["wallet"]
        sub = stripe.Subscription.create(customer=w["customer"], items=[{"price": w["prices"][0]}])
        check(sub.status == "incomplete" and sub.collection_method == "charge_automatically", sub.status)
        invoice = stripe.Invoice.retrieve(sub.latest_invoice)
        check(invoice.status == "open" and invoice.amount_due == 1000, invoice)
        asked = stripe.Event.list(type="invoice.payment_attempt_required", limit=20).data
        check(any(e.data.object.id == invoice.id for e in asked), "no invoice.payment_attempt_required for the invoice")
        now = int(time.time())
        record = stripe.PaymentRecord.report_payment(
            amount_requested={"currency": "jpy", "value": 1000},
            initiated_at=now,
            outcome="guaranteed",
            guaranteed={"guaranteed_at": now},
            customer_details={"customer": w["customer"]},
            payment_method_details={"type": "custom", "payment_method": w["method"]},
            processor_details={"type": "custom", "custom": {"payment_reference": f"wallet-{RUN}"}},
            idempotency_key=f"conformance-wallet-{RUN}",
        )
        check(record.payment_method_details.payment_method == w["method"], record.payment_method_details)
        paid = stripe.Invoice.attach_payment(invoice.id, payment_record=record.id)
        check(paid.status == "paid", paid.status)
        check(stripe.Subscription.retrieve(sub.id).status == "active", "the subscription did not turn active")
        w["subscription"] = sub.id
        return sub.id

    def pause_collection(self):
        w = self.s["wallet"]
        paused = stripe.Subscription.modify(w["subscription"], pause_collection={"behavior": "void"})
        check(paused.pause_collection.behavior == "void", paused.pause_collection)
        clock = stripe.test_helpers.TestClock.retrieve(w["clock"])
        stripe.test_helpers.TestClock.advance(w["clock"], frozen_time=clock.frozen_time + 32 * 86400)
        latest = stripe.Invoice.retrieve(stripe.Subscription.retrieve(w["subscription"]).latest_invoice)
        check(latest.status == "void", latest.status)
        resumed = stripe.Subscription.modify(w["subscription"], pause_collection="")
        check(resumed.pause_collection is None, resumed.pause_collection)
        return f"{latest.id} voided"

    def proration_preview(self):
        w = self.s["wallet"]
        sub = stripe.Subscription.retrieve(w["subscription"])
        items = [{"id": sub["items"].data[0].id, "price": w["prices"][1]}]
        preview = stripe.Invoice.create_preview(
            subscription=sub.id, subscription_details={"items": items, "proration_behavior": "always_invoice"}
        )
        check(len(preview.lines.data) == 2, preview.lines)
        check(preview.lines.data[0].amount < 0 < preview.lines.data[1].amount, [l.amount for l in preview.lines.data])
        at = preview.parent.subscription_details.subscription_proration_date
        check(at is not None, preview.parent)
        changed = stripe.Subscription.modify(sub.id, items=items, proration_behavior="always_invoice", proration_date=at)
        billed = stripe.Invoice.retrieve(changed.latest_invoice)
        check(billed.billing_reason == "subscription_update", billed.billing_reason)
        check(billed.total == preview.total, f"billed {billed.total}, previewed {preview.total}")
        return f"{preview.total} JPY"

    def past_due(self):
        w = self.s["wallet"]
        clock = stripe.test_helpers.TestClock.retrieve(w["clock"])
        # The change's invoice is left unpaid: a day later the subscription is past due.
        stripe.test_helpers.TestClock.advance(w["clock"], frozen_time=clock.frozen_time + 2 * 86400)
        sub = stripe.Subscription.retrieve(w["subscription"])
        check(sub.status == "past_due", sub.status)
        return sub.status

    # -- events and webhooks -----------------------------------------------------------------

    def events(self):
        wanted = ["invoice.created", "invoice.finalized", "invoice_payment.paid", "invoice.paid", "credit_note.created"]
        found = {t: stripe.Event.list(type=t, limit=5).data for t in wanted}
        missing = [t for t, events in found.items() if not events]
        check(not missing, f"no events of type {missing}")
        paid = found["invoice.paid"][0]
        check(paid.data.object.id == self.s["invoice"], paid.data.object.id)
        recent = stripe.Event.list(created={"gte": int(time.time()) - 3600}, limit=100)
        check(not any(e.type.startswith("payment_record") for e in recent.data), "payment_record events exist")
        check(stripe.Event.retrieve(paid.id).type == "invoice.paid", "retrieve")
        return f"{len(recent.data)} event(s)"

    def webhook_signature(self):
        deadline = time.time() + 15
        while time.time() < deadline:
            with Capture.lock:
                if any(b'"invoice.paid"' in body for body, _ in Capture.deliveries):
                    break
            time.sleep(0.1)
        with Capture.lock:
            deliveries = list(Capture.deliveries)
        check(deliveries, "no webhook was delivered")
        for body, signature in deliveries:
            event = stripe.Webhook.construct_event(body.decode("utf-8"), signature, self.s["secret"])
            check(event.id.startswith("evt_"), event.id)
        types = {stripe.Webhook.construct_event(b.decode(), s, self.s["secret"]).type for b, s in deliveries}
        check("invoice.paid" in types, types)
        try:
            stripe.Webhook.construct_event(deliveries[0][0].decode() + " ", deliveries[0][1], self.s["secret"])
        except stripe.SignatureVerificationError:
            return f"{len(deliveries)} verified"
        raise AssertionError("a tampered payload passed verification")


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:12111")
    stripe.api_base = base.rstrip("/")
    stripe.api_key = "sk_test_regio_conformance"
    stripe.max_network_retries = 2
    s = Scenario()
    s.step("sdk version", s.sdk_version)
    s.step("webhook endpoint", s.webhook_endpoint)
    s.step("report payment", s.report_payment)
    s.step("idempotent replay", s.idempotent_replay)
    s.step("lost response retried once", s.lost_response)
    s.step("retrieve payment record", s.retrieve)
    s.step("list payment records", s.list_records)
    s.step("report refund", s.report_refund)
    s.step("refund over remaining refused", s.refund_over_remaining)
    s.step("customer, invoice, invoice item", s.customer_and_invoice)
    s.step("finalize invoice", s.finalize)
    s.step("attach payment record", s.attach_payment)
    s.step("list invoice payments", s.invoice_payments)
    s.step("create credit note", s.credit_note)
    s.step("void and mark uncollectible", s.void_and_uncollectible)
    s.step("delete customer", s.delete_customer)
    s.step("list events", s.events)
    s.step("verify webhook signature", s.webhook_signature)
    s.step("custom payment method as the default", s.custom_payment_method)
    s.step("invoice.payment_attempt_required, paid by a record", s.payment_attempt_required)
    s.step("pause collection voids the period", s.pause_collection)
    s.step("proration preview equals the change billed", s.proration_preview)
    s.step("unpaid invoice makes the subscription past due", s.past_due)
    print(f"conformance: {s.passed} passed, {s.failed} failed")
    return 1 if s.failed else 0


if __name__ == "__main__":
    sys.exit(main())
