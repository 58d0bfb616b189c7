"""Payment steps: requests from the order workflow, and what the gateway answered."""

from __future__ import annotations

from pydantic import BaseModel


class AuthorizeRequest(BaseModel):
    order_id: str
    token: str
    amount: int
    currency: str
    # 0: the order's authorization; n: the n-th made afresh (an old one, a refused capture).
    attempt: int = 0


class CaptureRequest(BaseModel):
    order_id: str
    shipment_key: str
    authorization_id: str
    amount: int
    currency: str


class VoidRequest(BaseModel):
    order_id: str
    authorization_id: str
    # 0: the order's void at its end; n: an extra authorization let go (its own key).
    attempt: int = 0


class RefundRequest(BaseModel):
    """Give back part of what a capture took: ``refund_for`` names why (a return's id, a
    cancelled line), and with the order makes the idempotency key."""

    order_id: str
    refund_for: str
    capture_id: str
    authorization_id: str
    amount: int
    currency: str


class PartialVoidRequest(BaseModel):
    """Let go of ``amount`` of an authorization, the rest still held (an order edit lowered
    what the order will capture); ``edit`` with the order makes the idempotency key."""

    order_id: str
    authorization_id: str
    amount: int
    currency: str
    edit: int


class PartialVoid(BaseModel):
    authorization_id: str
    voided_amount: int


class Authorization(BaseModel):
    authorization_id: str
    amount: int
    currency: str


class Capture(BaseModel):
    capture_id: str
    authorization_id: str
    amount: int
    currency: str


class Refund(BaseModel):
    refund_id: str
    capture_id: str
    amount: int
    currency: str


class Void(BaseModel):
    authorization_id: str
    voided_amount: int
