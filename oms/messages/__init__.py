"""Customer messages rendered from their templates: a subject, a text body and an HTML body per
kind and locale, under ``oms/messages/templates/<locale>/`` (Jinja2; the HTML autoescaped, so
nothing an order carries can inject markup). docs/messages.md lists the kinds and what each
template is given."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from oms.domain.delivery import DeliveryMethod
from oms.domain.messages import Locale, MessageKind, format_date, format_money

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Facts:
    """What a message is written from: its event's payload, the stored order (``orders.payload``,
    which has the customer), and names the catalogue and the locations give."""

    kind: MessageKind
    event: dict[str, Any]
    order: dict[str, Any]
    placed_at: datetime
    product_names: dict[str, str]
    location_names: dict[str, str]
    # A collection as stored when the message is rendered (a reminder, a collection let go):
    # what still waits at the counter (``{"line_id", "sku", "quantity"}``) and whether the
    # customer took part of it already.
    waiting: list[dict[str, Any]] = field(default_factory=list)
    partly_collected: bool = False


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=False,
    )


@cache
def _reasons(locale: Locale) -> dict[str, str]:
    loaded: dict[str, str] = json.loads((TEMPLATES / locale.value / "reasons.json").read_text())
    return loaded


def reason_in_words(event: dict[str, Any], locale: Locale) -> str:
    """A cancellation's reason for the customer: the words for its code, else for its
    taxonomy's message key, else for the order's reason, else a plain apology."""
    words = _reasons(locale)
    for key in (event.get("reason_code"), event.get("customer_message"), event.get("reason")):
        if isinstance(key, str) and key in words:
            return words[key]
    return words[""]


def appeasement_in_words(event: dict[str, Any], locale: Locale) -> str | None:
    """Why an appeasement was granted, for the customer: the words for its reason code, or
    None for a code with none (one an admin added): the message then says what was done."""
    return _reasons(locale).get(f"appeasement.{event.get('reason_code')}")


def last_full_day(hold_until: str) -> datetime:
    """The last day, whole, a collection is kept: the hold ends at ``hold_until`` (its ready
    time plus the profile's ``hold_for``), partway through that day, so the day before it is
    the one a customer can be promised (days in UTC, as ``format_date``'s)."""
    return datetime.fromisoformat(hold_until) - timedelta(days=1)


def _address(order: dict[str, Any]) -> list[str]:
    """The delivery address as the order stores it now, line by line."""
    address = (order.get("delivery") or {}).get("address") or {}
    town = " ".join(str(address[k]) for k in ("postal_code", "city") if address.get(k))
    parts = (address.get("name"), address.get("line1"), address.get("line2"), town)
    return [str(p) for p in (*parts, address.get("country")) if p]


def _units(
    facts: Facts, units: list[dict[str, Any]], money: Callable[[int], str]
) -> tuple[list[dict[str, Any]], str]:
    """Units of the order's lines (``{"line_id", "quantity", "sku"?}``) with their names and
    what they cost on the order, and what they come to together."""
    by_id = {line["line_id"]: line for line in facts.order.get("lines", [])}
    out, worth = [], 0
    for unit in units:
        line = by_id.get(unit["line_id"]) or {}
        sku = str(unit.get("sku") or line.get("sku", ""))
        amount = int(unit["quantity"]) * int(line.get("unit_price", 0))
        worth += amount
        named = {"sku": sku, "name": facts.product_names.get(sku, sku)}
        out.append({**named, "quantity": unit["quantity"], "amount": money(amount)})
    return out, money(worth)


def context(facts: Facts, locale: Locale) -> dict[str, Any]:
    """The variables every template of the kind is given (docs/messages.md)."""
    order, event = facts.order, facts.event
    currency = str(order.get("currency", ""))

    def money(amount: int) -> str:
        return format_money(int(amount), currency, locale)

    store = (order.get("delivery") or {}).get("store_id")
    names = facts.product_names
    lines = [
        {
            "sku": line["sku"],
            "name": names.get(line["sku"], line["sku"]),
            "quantity": line["quantity"],
            "amount": money(line["quantity"] * line["unit_price"]),
        }
        for line in order.get("lines", [])
    ]
    shipping = int((order.get("shipping") or {}).get("amount") or 0)
    credit = int((order.get("exchange") or {}).get("credit") or 0)
    total = sum(line["quantity"] * line["unit_price"] for line in order["lines"]) + shipping
    if facts.kind is MessageKind.ORDER_CONFIRMED and isinstance(event.get("total"), int):
        total = event["total"]  # what the order was confirmed at, shipping included
    ctx: dict[str, Any] = {
        "locale": locale.value,
        "order": {
            "id": order["id"],
            "total": money(total),
            # Its own line when there is a charge; an exchange's returned goods pay first.
            "shipping": money(shipping) if shipping else None,
            "credit": money(credit) if credit else None,
            "to_pay": money(max(total - credit, 0)) if credit else None,
            "placed_on": format_date(facts.placed_at, locale),
            "collect": (order.get("delivery") or {}).get("method") == DeliveryMethod.COLLECT,
            "store": facts.location_names.get(store, store) if store else None,
        },
        "lines": lines,
    }
    kind = facts.kind
    if kind is MessageKind.ORDER_CONFIRMED:
        recs = event.get("recommendations")
        ctx["recommendations"] = [
            {"sku": r["sku"], "name": r.get("name") or names.get(r["sku"], r["sku"])}
            for r in (recs if isinstance(recs, list) else [])
            if isinstance(r, dict) and isinstance(r.get("sku"), str)
        ][:5]
    elif kind in (MessageKind.READY_FOR_COLLECTION, MessageKind.COLLECTION_REMINDER):
        where = str(event.get("location_id", ""))
        ctx["store"] = facts.location_names.get(where, where)
        ctx["collection_code"] = event["collection_code"]
        if kind is MessageKind.COLLECTION_REMINDER:
            ctx["last_day"] = format_date(last_full_day(event["hold_until"]), locale)
            ctx["items"], _ = _units(facts, facts.waiting, money)
            ctx["partly_collected"] = facts.partly_collected
    elif kind is MessageKind.NOT_COLLECTED:
        where = str(event.get("location_id", ""))
        ctx["store"] = facts.location_names.get(where, where)
        ctx["items"], ctx["amount"] = _units(facts, event["lines"], money)
        ctx["partly_collected"] = facts.partly_collected
    elif kind is MessageKind.LINE_CANCELLED:
        line = {"line_id": event["line_id"], "quantity": event["quantity"]}
        ctx["items"], ctx["amount"] = _units(facts, [line], money)
        ctx["reason"] = reason_in_words(event, locale)
    elif kind is MessageKind.DELIVERY_CHANGED:
        ctx["address"] = _address(order)
        ctx["express"] = bool(event.get("express"))
    elif kind is MessageKind.PICKUP_STORE_CHANGED:
        before, after = str(event.get("from") or ""), str(event.get("to") or "")
        ctx["from_store"] = facts.location_names.get(before, before)
        ctx["store"] = facts.location_names.get(after, after)
    elif kind is MessageKind.SHIPPED:
        ctx["carrier"] = event.get("carrier", "")
        ctx["tracking_number"] = event.get("tracking_number", "")
    elif kind is MessageKind.DELIVERED:
        ctx["delivered_on"] = format_date(datetime.fromisoformat(event["delivered_at"]), locale)
    elif kind is MessageKind.REFUNDED:
        # This refund's amount (a return refunded twice has two messages), else the total.
        amount = event.get("refund_amount", event["refunded"])
        ctx["refunded"] = format_money(int(amount), event["currency"], locale)
        ctx["return_id"] = event["return_id"]
    elif kind is MessageKind.CANCELLED:
        ctx["reason"] = reason_in_words(event, locale)
    elif kind is MessageKind.APPEASEMENT_GRANTED:
        ctx["refunded"] = format_money(int(event["refunded"]), event["currency"], locale)
        ctx["reason"] = appeasement_in_words(event, locale)
    return ctx


def render(facts: Facts, locale: Locale) -> Rendered:
    env = _environment()
    ctx = context(facts, locale)
    base = f"{locale.value}/{facts.kind.value}"
    subject = env.get_template(f"{base}.subject.txt").render(ctx)
    # One line, whatever a template or a value holds: a header cannot be split.
    subject = " ".join(subject.split())
    text = env.get_template(f"{base}.txt").render(ctx).strip() + "\n"
    html = env.get_template(f"{base}.html").render({**ctx, "subject": subject})
    return Rendered(subject=subject, text=text, html=html)
