"""Customer messages rendered from their templates, in each language, without a database or a
mail server: what each kind says, how amounts and dates read, which language is chosen."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from oms.connectors.email import parse_smtp_url, sender_domain
from oms.domain.messages import (
    KIND_OF_EVENT,
    Locale,
    MessageKind,
    format_date,
    format_money,
    kind_of,
    locale_for,
    subject_of,
)
from oms.messages import Facts, last_full_day, render
from tests.factories import order

PLACED = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
EVENTS: dict[MessageKind, dict[str, Any]] = {
    MessageKind.ORDER_CONFIRMED: {"order_id": "A1", "total": 4897, "currency": "EUR"},
    MessageKind.READY_FOR_COLLECTION: {"location_id": "ST-OPERA", "collection_code": "482913"},
    MessageKind.COLLECTION_REMINDER: {
        "location_id": "ST-OPERA",
        "collection_code": "482913",
        "customer_message": "customer.collection_reminder",
        "hold_until": "2026-12-14T09:30:00+00:00",
    },
    MessageKind.PICKUP_STORE_CHANGED: {
        "from": "ST-BASTILLE",
        "to": "ST-OPERA",
        "edit": 1,
        "resourced": ["A1.F1"],
    },
    MessageKind.DELIVERY_CHANGED: {"edit": 1, "country": "FR", "express": True},
    MessageKind.LINE_CANCELLED: {
        "edit": 1,
        "line_id": "1",
        "quantity": 1,
        "reason_code": "customer_request",
        "customer_message": "customer.order_cancelled",
    },
    MessageKind.NOT_COLLECTED: {
        "fulfilment_id": "A1.F1",
        "location_id": "ST-OPERA",
        "reason": "not_collected",
        "customer_message": "customer.collection_not_collected",
        "lines": [
            {"line_id": "1", "sku": "SKU-TEE", "quantity": 1},
            {"line_id": "2", "sku": "SKU-MUG", "quantity": 1},
        ],
    },
    MessageKind.SHIPPED: {
        "fulfilment_id": "A1.F1",
        "carrier": "simcarrier",
        "tracking_number": "SIM123456",
    },
    MessageKind.DELIVERED: {"delivered_at": "2026-12-09T15:00:00+00:00", "shipments": ["A1.F1"]},
    MessageKind.REFUNDED: {"return_id": "R-1", "refunded": 123456, "currency": "EUR"},
    MessageKind.CANCELLED: {
        "reason": "out_of_stock",
        "reason_code": "out_of_stock",
        "customer_message": "customer.out_of_stock",
    },
    MessageKind.APPEASEMENT_GRANTED: {
        "appeasement_id": "A1.A1",
        "amount": 1000,
        "refunded": 1000,
        "currency": "EUR",
        "reason_code": "late_delivery",
    },
}
# What each kind must say, in each language (besides the order id).
SAYS: dict[tuple[MessageKind, Locale], list[str]] = {
    (MessageKind.ORDER_CONFIRMED, Locale.EN): ["is confirmed", "€48.97", "7 December 2026"],
    (MessageKind.ORDER_CONFIRMED, Locale.FR): ["est confirmée", "48,97\u00a0€", "7 décembre 2026"],
    (MessageKind.READY_FOR_COLLECTION, Locale.EN): ["ready for collection", "482913", "Opéra"],
    (MessageKind.READY_FOR_COLLECTION, Locale.FR): ["vous attend", "482913", "Opéra"],
    (MessageKind.COLLECTION_REMINDER, Locale.EN): [
        "still waiting for you",
        "482913",
        "Opéra",
        "until the end of",
        "13 December 2026",  # the hold ends on the 14th at 09:30: the 13th is the last whole day
    ],
    (MessageKind.COLLECTION_REMINDER, Locale.FR): [
        "vous attend toujours",
        "482913",
        "Opéra",
        "13 décembre 2026",
        "inclus",
    ],
    (MessageKind.PICKUP_STORE_CHANGED, Locale.EN): [
        "will be collected at Boutique Opéra",
        "instead of Boutique Bastille",
        "write again when it is ready",
    ],
    (MessageKind.PICKUP_STORE_CHANGED, Locale.FR): [
        "à retirer à Boutique Opéra",
        "et non plus à Boutique Bastille",
        "écrirons quand elle vous y attendra",
    ],
    (MessageKind.DELIVERY_CHANGED, Locale.EN): [
        "delivery of your order A1 has changed",
        "will be delivered to",
        "1 rue de Rivoli",
        "75001 Paris",
        "express delivery",
    ],
    (MessageKind.DELIVERY_CHANGED, Locale.FR): [
        "livraison de votre commande A1 a changé",
        "sera livrée à",
        "1 rue de Rivoli",
        "75001 Paris",
        "livraison express",
    ],
    (MessageKind.LINE_CANCELLED, Locale.EN): [
        "Part of your order A1 was cancelled",
        "T-shirt bio",
        "€19.99",
        "You asked us to cancel it.",
        "not be charged for it",
    ],
    (MessageKind.LINE_CANCELLED, Locale.FR): [
        "Une partie de votre commande A1 a été annulée",
        "T-shirt bio",
        "19,99\u00a0€",
        "Vous nous avez demandé de l'annuler.",
        "ne vous sera pas facturée",
    ],
    (MessageKind.NOT_COLLECTED, Locale.EN): [
        "items not collected in time",
        "waited for you at Boutique Opéra",
        "T-shirt bio",
        "€8.99",
        "not be charged for them",
        "€28.98",  # what they come to
    ],
    (MessageKind.NOT_COLLECTED, Locale.FR): [
        "articles non retirés à temps",
        "vous ont attendu à Boutique Opéra",
        "T-shirt bio",
        "ne vous seront pas facturés",
        "28,98\u00a0€",
    ],
    (MessageKind.SHIPPED, Locale.EN): ["has shipped", "simcarrier", "SIM123456"],
    (MessageKind.SHIPPED, Locale.FR): ["expédiée", "simcarrier", "SIM123456"],
    (MessageKind.DELIVERED, Locale.EN): ["was delivered", "9 December 2026"],
    (MessageKind.DELIVERED, Locale.FR): ["a été livrée", "9 décembre 2026"],
    (MessageKind.REFUNDED, Locale.EN): ["refund", "€1,234.56", "R-1"],
    (MessageKind.REFUNDED, Locale.FR): ["remboursement", "1\u202f234,56\u00a0€", "R-1"],
    (MessageKind.CANCELLED, Locale.EN): ["was cancelled", "out of stock"],
    (MessageKind.CANCELLED, Locale.FR): ["a été annulée", "en rupture de stock"],
    (MessageKind.APPEASEMENT_GRANTED, Locale.EN): [
        "arrived later than we promised",
        "We have refunded",
        "€10.00",
        "nothing to send back",
    ],
    (MessageKind.APPEASEMENT_GRANTED, Locale.FR): [
        "plus tard que promis",
        "Nous vous avons remboursé",
        "10,00\u00a0€",
        "rien à nous renvoyer",
    ],
}


def facts(kind: MessageKind, event: dict[str, Any] | None = None) -> Facts:
    return Facts(
        kind=kind,
        event=EVENTS[kind] if event is None else event,
        order=order("A1").for_run().model_dump(mode="json"),
        placed_at=PLACED,
        product_names={"SKU-TEE": "T-shirt bio"},
        location_names={"ST-OPERA": "Boutique Opéra", "ST-BASTILLE": "Boutique Bastille"},
    )


@pytest.mark.parametrize(("kind", "locale"), list(SAYS))
def test_each_kind_says_what_happened_in_each_language(kind: MessageKind, locale: Locale) -> None:
    message = render(facts(kind), locale)

    assert "A1" in message.subject
    for words in SAYS[kind, locale]:
        assert words in message.subject + message.text, words
        assert words.replace("'", "&#39;") in message.html, words
    assert "\n" not in message.subject
    assert message.html.startswith("<!doctype html>")
    assert f'<html lang="{locale.value}">' in message.html


def test_every_kind_an_event_makes_is_written_in_every_language() -> None:
    # A kind with no templates would be recorded failed ("cannot render") for every customer.
    assert set(KIND_OF_EVENT.values()) == set(MessageKind)
    assert {kind for kind, _ in SAYS} == set(MessageKind)
    assert {locale for _, locale in SAYS} == set(Locale)
    assert len(SAYS) == len(MessageKind) * len(Locale)


@pytest.mark.parametrize(
    ("locale", "says", "not_said"),
    [
        (Locale.EN, "Give your order number, A1, at the counter.", "collection code"),
        (Locale.FR, "Donnez votre numéro de commande, A1, au comptoir.", "code de retrait"),
    ],
)
def test_a_collection_ready_without_a_code_asks_for_the_order_number(
    locale: Locale, says: str, not_said: str
) -> None:
    # A location no fulfilment profile covers hands a collection over on the order's number.
    event = {"location_id": "ST-OPERA", "collection_code": None}
    message = render(facts(MessageKind.READY_FOR_COLLECTION, event), locale)

    assert says in message.text
    assert "Boutique Opéra" in message.text
    assert not_said not in message.text + message.html
    assert "None" not in message.text + message.html


def test_the_confirmation_lists_the_lines_by_name_and_the_total() -> None:
    text = render(facts(MessageKind.ORDER_CONFIRMED), Locale.EN).text

    assert "2 x T-shirt bio (SKU-TEE): €39.98" in text
    assert "Total: €48.97" in text
    assert "You may also like" not in text  # no recommendations in the event: no list


def test_recommendations_in_the_event_are_listed_and_escaped_in_html() -> None:
    event = {**EVENTS[MessageKind.ORDER_CONFIRMED]}
    event["recommendations"] = [{"sku": "SKU-LAMP", "name": "<b>Lampe</b>"}, {"sku": "SKU-TEE"}]
    message = render(facts(MessageKind.ORDER_CONFIRMED, event), Locale.FR)

    assert "Vous aimerez peut-être aussi" in message.text
    assert "- <b>Lampe</b> (SKU-LAMP)" in message.text
    assert "- T-shirt bio (SKU-TEE)" in message.text  # the catalogue's name when none is given
    assert "&lt;b&gt;Lampe&lt;/b&gt;" in message.html
    assert "<b>Lampe</b>" not in message.html


def test_a_cancellation_reason_in_words_follows_the_code_then_its_message_key() -> None:
    def reason(event: dict[str, Any], locale: Locale = Locale.EN) -> str:
        return render(facts(MessageKind.CANCELLED, event), locale).text

    assert "You asked us to cancel it." in reason(
        {
            "reason": "customer_request",
            "reason_code": "customer_request",
            "customer_message": "customer.order_cancelled",
        }
    )
    assert "Your payment was declined." in reason({"reason": "payment_declined"})
    # A code of the retailer's own with a built-in message key.
    assert "could not prepare the items" in reason(
        {"reason": "other", "reason_code": "broke", "customer_message": "customer.item_cancelled"}
    )
    # Nothing known: an apology, never a code.
    unknown = reason({"reason": "other", "reason_code": "x", "customer_message": "customer.x"})
    assert "We are sorry we could not fulfil it." in unknown
    assert "customer.x" not in unknown


def test_money_reads_as_each_language_writes_it() -> None:
    assert format_money(123456, "EUR", Locale.FR) == "1\u202f234,56\u00a0€"
    assert format_money(123456, "EUR", Locale.EN) == "€1,234.56"
    assert format_money(500, "JPY", Locale.EN) == "¥500"
    assert format_money(-199, "GBP", Locale.EN) == "-£1.99"
    assert format_money(1999, "SEK", Locale.EN) == "SEK\u00a019.99"
    assert format_date(PLACED, Locale.FR) == "7 décembre 2026"


def test_the_language_is_the_customers_then_the_channels_then_english() -> None:
    with_locale = order(customer={"id": "C1", "email": "a@example.com", "locale": "fr"})
    plain = order().model_dump(mode="json")

    assert locale_for(with_locale.model_dump(mode="json"), "en") is Locale.FR
    assert locale_for(plain, "fr") is Locale.FR
    assert locale_for(plain, None) is Locale.EN
    assert locale_for(plain, "de") is Locale.EN


def test_an_order_without_a_locale_keeps_its_fingerprint_and_one_with_it_has_another() -> None:
    plain = order()
    fr = order(customer={"id": "C1", "email": "alice@example.com", "locale": "fr"})

    assert plain.customer.locale is None
    assert plain.fingerprint() == order().fingerprint()
    assert "locale" not in plain.model_dump(mode="json", exclude_none=True)["customer"]
    assert fr.fingerprint() != plain.fingerprint()


def test_which_events_make_a_message_and_a_parcel_is_shipped_once() -> None:
    assert kind_of("order.confirmed") is MessageKind.ORDER_CONFIRMED
    assert kind_of("fulfilment.collection_reminder") is MessageKind.COLLECTION_REMINDER
    assert kind_of("shipment.in_transit") is MessageKind.SHIPPED
    assert kind_of("order.completed") is None
    # A carrier that skips "in transit": its parcel is shipped when it is out for delivery.
    assert kind_of("shipment.out_for_delivery") is MessageKind.SHIPPED
    assert kind_of("shipment.delivered") is None
    first = subject_of(MessageKind.SHIPPED, "e1", {"fulfilment_id": "A1.F1"})
    later = subject_of(MessageKind.SHIPPED, "e2", {"fulfilment_id": "A1.F1"})
    assert first == later == "A1.F1"
    assert subject_of(MessageKind.DELIVERED, "e3", {}) == "e3"


def test_smtp_urls_say_how_to_connect() -> None:
    plain = parse_smtp_url("smtp://mail.example:2525")
    secure = parse_smtp_url("smtps://user%40x:p%3Ass@mail.example")
    upgraded = parse_smtp_url("smtp://mail.example?starttls=true")

    assert (plain.host, plain.port, plain.tls, plain.starttls) == (
        "mail.example",
        2525,
        False,
        False,
    )
    assert (secure.port, secure.tls, secure.username, secure.password) == (
        465,
        True,
        "user@x",
        "p:ss",
    )
    assert (upgraded.port, upgraded.starttls) == (25, True)
    with pytest.raises(ValueError, match="OMS_SMTP_URL"):
        parse_smtp_url("http://mail.example")
    assert sender_domain("Orders <orders@shop.example>") == "shop.example"


def _confirmed(order_in: Any, total: int) -> Facts:
    return Facts(
        kind=MessageKind.ORDER_CONFIRMED,
        event={"order_id": "A1", "total": total, "currency": "EUR"},
        order=order_in.for_run().model_dump(mode="json"),
        placed_at=PLACED,
        product_names={},
        location_names={},
    )


@pytest.mark.parametrize("locale", list(Locale))
def test_the_confirmation_total_includes_shipping_shown_on_its_own_line(locale: Locale) -> None:
    shipped = order("A1", shipping={"amount": 590})  # 2 x 19.99 + 8.99 of goods, 5.90 shipping

    message = render(_confirmed(shipped, 5487), locale)

    total = format_money(5487, "EUR", locale)
    shipping = format_money(590, "EUR", locale)
    assert f"{'Total' if locale is Locale.EN else 'Total '}: {total}" in message.text
    assert f"{'Shipping' if locale is Locale.EN else 'Livraison '}: {shipping}" in message.text
    assert total in message.html
    assert shipping in message.html
    assert format_money(4897, "EUR", locale) not in message.text  # the goods alone


def test_an_exchange_confirmation_shows_what_the_returned_goods_pay() -> None:
    exchange = order("A1", exchange={"return_id": "R-1", "credit": 4000})

    message = render(_confirmed(exchange, 4897), Locale.EN)

    assert "Total: €48.97" in message.text
    assert "Paid by your returned goods: -€40.00" in message.text
    assert "To pay: €8.97" in message.text
    assert "Shipping" not in message.text  # free: no line for it


def test_a_refund_message_says_what_that_refund_gave_back() -> None:
    second = {"return_id": "R-1", "refunded": 2998, "refund_amount": 899, "currency": "EUR"}

    message = render(facts(MessageKind.REFUNDED, second), Locale.EN)

    assert "We have refunded €8.99 for your return R-1" in message.text


def test_an_appeasement_for_a_code_without_words_says_what_was_refunded() -> None:
    # A code an admin added: no words of its own, the message says what was done.
    event = {**EVENTS[MessageKind.APPEASEMENT_GRANTED], "reason_code": "loyal_customer"}

    message = render(facts(MessageKind.APPEASEMENT_GRANTED, event), Locale.EN)

    assert message.text.startswith("Hello,\n\nWe have refunded €10.00 on your order A1,")


def test_a_reminder_promises_the_last_whole_day_of_the_hold() -> None:
    assert last_full_day("2026-12-14T09:30:00+00:00").date().isoformat() == "2026-12-13"
    # A hold that ends at midnight: the day before is still the last whole one.
    assert last_full_day("2026-12-14T00:00:00+00:00").date().isoformat() == "2026-12-13"


def test_the_first_of_the_month_reads_1er_in_french() -> None:
    first = datetime(2026, 12, 1, 12, tzinfo=UTC)

    assert format_date(first, Locale.FR) == "1er décembre 2026"
    assert format_date(first, Locale.EN) == "1 December 2026"
    assert format_date(datetime(2026, 12, 2, tzinfo=UTC), Locale.FR) == "2 décembre 2026"


@pytest.mark.parametrize("locale", list(Locale))
def test_a_reminder_of_a_collection_partly_taken_says_what_still_waits(locale: Locale) -> None:
    waiting = [{"line_id": "1", "sku": "SKU-TEE", "quantity": 1}]
    partly = replace(facts(MessageKind.COLLECTION_REMINDER), waiting=waiting, partly_collected=True)
    whole = replace(facts(MessageKind.COLLECTION_REMINDER), waiting=waiting)

    message, before = render(partly, locale), render(whole, locale)

    rest = "The rest of your order A1" if locale is Locale.EN else "Le reste de votre commande A1"
    assert message.subject.startswith(rest)
    assert "- 1 x T-shirt bio (SKU-TEE)\n" in message.text
    assert "SKU-MUG" not in message.text  # taken already: not waiting
    assert "T-shirt bio" in message.html
    assert not before.subject.startswith(rest)  # nothing taken yet: the order waits
    assert "- 1 x T-shirt bio (SKU-TEE)\n" in before.text


def test_a_collection_let_go_after_part_was_taken_says_only_that_part_is_charged() -> None:
    partly = replace(facts(MessageKind.NOT_COLLECTED), partly_collected=True)

    assert "You pay only for what you collected." in render(partly, Locale.EN).text
    assert "collected." not in render(facts(MessageKind.NOT_COLLECTED), Locale.EN).text
