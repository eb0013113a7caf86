//! `POST /api/payments/webhook`: Stripe's events, signed with the endpoint secret. A missing,
//! wrong or stale signature is 400 and changes nothing; an event is processed once; a
//! transient failure is a 500, so that Stripe retries.

use chrono::Utc;
use lambda_http::Request;
use shared::config::Secret;
use shared::http::{self, HttpResponse};
use shared::payments;
use shared::ports::{Inbox, OrderStore, PaymentGateway, TicketStore};
use shared::stripe_webhook;

pub struct Webhook<'a, O, T, G, I> {
    pub orders: &'a O,
    pub tickets: &'a T,
    pub gateway: &'a G,
    pub inbox: &'a I,
    pub secret: &'a Secret,
}

pub async fn handle<O, T, G, I>(webhook: Webhook<'_, O, T, G, I>, req: Request) -> HttpResponse
where
    O: OrderStore,
    T: TicketStore,
    G: PaymentGateway,
    I: Inbox,
{
    http::respond(receive(webhook, req).await)
}

async fn receive<O, T, G, I>(webhook: Webhook<'_, O, T, G, I>, req: Request) -> shared::Result<HttpResponse>
where
    O: OrderStore,
    T: TicketStore,
    G: PaymentGateway,
    I: Inbox,
{
    let now = Utc::now();
    let signature = req.headers().get("stripe-signature").and_then(|value| value.to_str().ok());
    let event = stripe_webhook::verify(req.body().as_ref(), signature, webhook.secret, now.timestamp())?;
    let outcome =
        payments::handle_webhook(webhook.orders, webhook.tickets, webhook.gateway, webhook.inbox, &event, now).await?;
    tracing::info!(event_id = %event.id, event_type = %event.kind, outcome = ?outcome, "stripe event");
    http::json(200, &serde_json::json!({ "received": true }))
}
