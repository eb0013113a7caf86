//! The payouts table: partition key `order_id` (one payout per order); the global secondary
//! index `by-seller` (key `seller`, sorted by `order_id`) for a seller's payouts, newest order
//! first; and the sparse index `due-by-release` (key `due`, sorted by `due_at` in epoch
//! milliseconds), whose attributes exist only while a payout waits for its release or has a
//! claim to finish, for the sweep. Each seller's payout account is an item of the same table,
//! keyed `account#<seller>`, found by the provider's id through the sparse index
//! `by-account` (key `account_id`); the other indexes never see it.

use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::entities::{Payout, PayoutAccount, PayoutStatus};
use domain::ids::{OrderId, UserId};
use domain::page::{Page, PageRequest};
use domain::ports::PayoutStore;

use super::table::{Item, Table, at_most, encode, n, s};
use crate::resources::PayoutsTable;

#[derive(Clone)]
pub struct DynamoPayouts(Table);

impl DynamoPayouts {
    pub const KEY: &'static str = "order_id";
    pub const SELLER_INDEX: &'static str = "by-seller";
    pub const SELLER: &'static str = "seller";
    pub const DUE_INDEX: &'static str = "due-by-release";
    pub const DUE: &'static str = "due";
    pub const DUE_AT: &'static str = "due_at";
    pub const ACCOUNT_INDEX: &'static str = "by-account";
    pub const ACCOUNT: &'static str = "account_id";

    pub fn new(client: Client, table: &PayoutsTable) -> Self {
        Self(Table::new(client, table.name()))
    }

    /// The stored item: the payout, and while work on it is to come, its place in
    /// `due-by-release` (its release time; a claim is due at once).
    pub(super) fn item(payout: &Payout) -> Result<Item> {
        let mut item = encode(payout, "a payout")?;
        let due_at = match payout.status {
            PayoutStatus::Scheduled => Some(payout.release_at),
            PayoutStatus::Releasing | PayoutStatus::Reversing => Some(payout.claimed_at.unwrap_or(payout.release_at)),
            _ => None,
        };
        if let Some(due_at) = due_at {
            item.insert(Self::DUE.to_owned(), s(Self::DUE));
            item.insert(Self::DUE_AT.to_owned(), n(due_at.timestamp_millis()));
        }
        Ok(item)
    }

    /// The key of `seller`'s payout account.
    pub(super) fn account_key(seller: &str) -> String {
        format!("account#{seller}")
    }

    pub(super) fn account_item(account: &PayoutAccount) -> Result<Item> {
        let mut item = encode(account, "a payout account")?;
        item.insert(Self::KEY.to_owned(), s(Self::account_key(account.user_id.as_str())));
        Ok(item)
    }
}

impl PayoutStore for DynamoPayouts {
    async fn payout(&self, order: &OrderId) -> Result<Option<Payout>> {
        self.0.get((Self::KEY, order.as_str()), "a payout").await
    }

    async fn payouts(&self, seller: &UserId, page: &PageRequest) -> Result<Page<Payout>> {
        let after = page.after.as_ref().map(|after| (Self::KEY, after.as_str()));
        let partition = (Self::SELLER, seller.as_str());
        let every = (|_: &Payout| true, |payout: &Payout| payout.order_id.to_string());
        self.0.newest_first(Some(Self::SELLER_INDEX), partition, after, page.limit, every, "payouts").await
    }

    async fn due(&self, cutoff: DateTime<Utc>, limit: usize) -> Result<Vec<Payout>> {
        let due = Some((Self::DUE_AT, "<=", n(cutoff.timestamp_millis())));
        let query = self.0.index(Self::DUE_INDEX, (Self::DUE, s(Self::DUE)), due);
        Table::found(query.limit(at_most(limit)), "due payouts").await
    }

    async fn account(&self, seller: &UserId) -> Result<Option<PayoutAccount>> {
        self.0.get((Self::KEY, &Self::account_key(seller.as_str())), "a payout account").await
    }

    async fn account_by_id(&self, account_id: &str) -> Result<Option<PayoutAccount>> {
        let query = self.0.index(Self::ACCOUNT_INDEX, (Self::ACCOUNT, s(account_id)), None);
        Ok(Table::found(query, "a payout account").await?.pop())
    }
}
