//! Conformance suites: what every adapter of a port must do, written once against the
//! port and run by each adapter's tests (the embedded store in memory, DynamoDB on moto).
//! Each suite function takes fresh adapters and panics on the first difference.

pub mod attempts;
pub mod changes;
pub mod inbox;
pub mod mail;
pub mod notifications;
pub mod orders;
pub mod payment_gateway;
pub mod payments;
pub mod payout_gateway;
pub mod payouts;
pub mod users;

use std::future::Future;

use chrono::Utc;

use crate::entities::{Intent, IntentRequest};
use crate::error::{Error, Result};
use crate::ports::PaymentGateway;

use crate::entities::{Ticket, TicketDraft};
use crate::events::Event;
use crate::ids::{TicketId, UserId};
use crate::money::Money;

/// Reads what a store's commits left in its outbox, oldest first, so a suite can see that
/// every committed change, and no refused one, stored its events.
pub trait OutboxProbe: Send + Sync {
    fn events(&self) -> impl Future<Output = Vec<Event>> + Send;
}

/// Sign-in attempts for suites that are not about throttling: nothing is remembered.
pub struct NoThrottle;

impl crate::ports::SignInAttempts for NoThrottle {
    async fn failures(
        &self,
        _: &crate::ports::AttemptKey,
        _: chrono::DateTime<Utc>,
    ) -> Result<Option<crate::ports::Failures>> {
        Ok(None)
    }

    async fn reserve(
        &self,
        _: &crate::ports::AttemptKey,
        window: crate::ports::AttemptWindow,
    ) -> Result<crate::ports::Reserved> {
        Ok(crate::ports::Reserved::Granted(crate::ports::Failures { count: 1, since: window.now }))
    }

    async fn clear(&self, _: &crate::ports::AttemptKey) -> Result<()> {
        Ok(())
    }
}

/// A payment gateway for suites that must never reach one: every call fails.
pub struct Unreachable;

impl PaymentGateway for Unreachable {
    async fn create_intent(&self, _: &IntentRequest<'_>) -> Result<Intent> {
        Err(unreachable())
    }

    async fn confirm(&self, _: &str, _: &str) -> Result<Intent> {
        Err(unreachable())
    }

    async fn get_intent(&self, _: &str) -> Result<Intent> {
        Err(unreachable())
    }

    async fn refund_of(&self, _: &str) -> Result<Option<String>> {
        Err(unreachable())
    }

    async fn cancel_intent(&self, _: &str) -> Result<Intent> {
        Err(unreachable())
    }

    async fn refund(&self, _: &str) -> Result<String> {
        Err(unreachable())
    }
}

fn unreachable() -> Error {
    Error::Internal(anyhow::anyhow!("this suite reaches no payment gateway"))
}

/// An available ticket of `seller`, priced 45.00, with its file, as the tickets service
/// lists it.
pub fn ticket(seller: &str, title: &str) -> Ticket {
    let draft = TicketDraft { title: title.to_owned(), price: Money::from_minor(4500), date: None, venue: None };
    let listed = Ticket::list(UserId::from(seller), draft, Default::default(), Utc::now());
    Ticket { file: Some(file_of(&listed.id)), ..listed }
}

/// A checked PDF file of `ticket`.
pub fn file_of(ticket: &TicketId) -> crate::entities::TicketFile {
    let draft =
        crate::entities::FileDraft { name: "ticket.pdf".into(), content_type: crate::entities::FileType::Pdf, size: 9 };
    crate::entities::PendingUpload::new(ticket, draft, Utc::now()).checked(Utc::now())
}
