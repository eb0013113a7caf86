//! A notification: what a user is told about one of their orders.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::UserId;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    /// The id of the event it comes from.
    pub id: String,
    pub user_id: UserId,
    /// `reservation.created`, `reservation.expired`, `order.cancelled`, `payment.receipt`,
    /// `payment.failed`, `payment.refunded`, `payment.disputed` or `ticket.ready`.
    pub kind: String,
    pub message: String,
    pub order_id: String,
    /// The event's time (milliseconds, UTC).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: DateTime<Utc>,
}
