//! Reading tickets, orders, payments and payouts: by key, and listings newest first (ids are ULIDs,
//! so key order is creation order).

use chrono::{DateTime, Utc};
use domain::Result;
use domain::entities::{Holds, Order, Payment, Payout, PayoutAccount, Ticket, TicketFilter};
use domain::ids::{OrderId, TicketId, UserId};
use domain::page::{Page, PageRequest};
use domain::ports::{ListingIndex, OrderStore, PaymentStore, PayoutStore, TicketStore};
use redb::{ReadTransaction, ReadableTable};

use crate::store::{
    EmbeddedStore, HOLDS, ORDERS, PAYMENTS, PAYOUT_ACCOUNTS, PAYOUTS, TICKETS, Table, decode, open_readable, storage,
};

/// Records of `table` kept by `keep`, highest key first, one page's worth after the key
/// `page.after`; `key` gives a record's key.
fn newest_first<T: serde::de::DeserializeOwned>(
    txn: &ReadTransaction,
    table: Table,
    page: &PageRequest,
    keep: impl Fn(&T) -> bool,
    key: impl Fn(&T) -> String,
) -> Result<Page<T>> {
    let Some(records) = open_readable(txn, table)? else { return Ok(Page::empty()) };
    let range = match &page.after {
        Some(after) => records.range::<&str>(..after.as_str()),
        None => records.range::<&str>(..),
    }
    .map_err(storage)?;
    let mut items = Vec::with_capacity(page.limit + 1);
    for entry in range.rev() {
        let record: T = decode(entry.map_err(storage)?.1.value())?;
        if keep(&record) {
            items.push(record);
            if items.len() > page.limit {
                break;
            }
        }
    }
    Ok(Page::from_overfetch(items, page.limit, key))
}

impl TicketStore for EmbeddedStore {
    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>> {
        EmbeddedStore::get(self, TICKETS, id.to_string()).await
    }

    async fn list(&self, filter: &TicketFilter, page: &PageRequest) -> Result<Page<Ticket>> {
        let (filter, page) = (filter.clone(), page.clone());
        self.read(move |txn| {
            newest_first(txn, TICKETS, &page, |ticket: &Ticket| filter.keeps(ticket), |ticket| ticket.id.to_string())
        })
        .await
    }

    async fn open_listings(&self, seller: &UserId, now: DateTime<Utc>, up_to: usize) -> Result<usize> {
        let seller = seller.clone();
        self.read(move |txn| {
            let Some(tickets) = open_readable(txn, TICKETS)? else { return Ok(0) };
            let mut open = 0;
            for entry in tickets.iter().map_err(storage)? {
                let ticket: Ticket = decode(entry.map_err(storage)?.1.value())?;
                if ticket.user_id == seller && ticket.is_open_listing(now) {
                    open += 1;
                    if open == up_to {
                        break;
                    }
                }
            }
            Ok(open)
        })
        .await
    }
}

/// The embedded listing keeps no index: it filters past-dated tickets as it reads them.
impl ListingIndex for EmbeddedStore {
    async fn unlist_past(&self, _now: DateTime<Utc>, _limit: usize) -> Result<usize> {
        Ok(0)
    }
}

impl OrderStore for EmbeddedStore {
    async fn get(&self, id: &OrderId) -> Result<Option<Order>> {
        EmbeddedStore::get(self, ORDERS, id.to_string()).await
    }

    async fn list(&self, buyer: &UserId, page: &PageRequest) -> Result<Page<Order>> {
        let (buyer, page) = (buyer.clone(), page.clone());
        self.read(move |txn| {
            newest_first(txn, ORDERS, &page, |order: &Order| order.user_id == buyer, |order| order.id.to_string())
        })
        .await
    }

    async fn overdue(&self, cutoff: DateTime<Utc>, limit: usize) -> Result<Vec<OrderId>> {
        self.read(move |txn| {
            let Some(orders) = open_readable(txn, ORDERS)? else { return Ok(Vec::new()) };
            let mut overdue = Vec::new();
            for entry in orders.iter().map_err(storage)? {
                let order: Order = decode(entry.map_err(storage)?.1.value())?;
                if order.is_open() && order.expires_at < cutoff {
                    overdue.push(order);
                }
            }
            overdue.sort_by_key(|order| order.expires_at);
            Ok(overdue.into_iter().take(limit).map(|order| order.id).collect())
        })
        .await
    }

    async fn holds(&self, buyer: &UserId) -> Result<Option<Holds>> {
        EmbeddedStore::get(self, HOLDS, buyer.to_string()).await
    }
}

impl PaymentStore for EmbeddedStore {
    async fn for_order(&self, order: &OrderId) -> Result<Option<Payment>> {
        EmbeddedStore::get(self, PAYMENTS, order.to_string()).await
    }

    async fn by_intent(&self, intent_id: &str) -> Result<Option<Payment>> {
        let intent_id = intent_id.to_owned();
        self.read(move |txn| {
            let Some(payments) = open_readable(txn, PAYMENTS)? else { return Ok(None) };
            for entry in payments.iter().map_err(storage)? {
                let payment: Payment = decode(entry.map_err(storage)?.1.value())?;
                if payment.stripe_id == intent_id {
                    return Ok(Some(payment));
                }
            }
            Ok(None)
        })
        .await
    }
}

impl PayoutStore for EmbeddedStore {
    async fn payout(&self, order: &OrderId) -> Result<Option<Payout>> {
        EmbeddedStore::get(self, PAYOUTS, order.to_string()).await
    }

    async fn payouts(&self, seller: &UserId, page: &PageRequest) -> Result<Page<Payout>> {
        let (seller, page) = (seller.clone(), page.clone());
        self.read(move |txn| {
            newest_first(
                txn,
                PAYOUTS,
                &page,
                |payout: &Payout| payout.seller == seller,
                |payout| payout.order_id.to_string(),
            )
        })
        .await
    }

    async fn due(&self, cutoff: DateTime<Utc>, limit: usize) -> Result<Vec<Payout>> {
        self.read(move |txn| {
            let mut due: Vec<Payout> =
                all(txn, PAYOUTS)?.into_iter().filter(|payout: &Payout| payout.is_due(cutoff)).collect();
            due.sort_by_key(|payout| payout.claimed_at.unwrap_or(payout.release_at));
            due.truncate(limit);
            Ok(due)
        })
        .await
    }

    async fn account(&self, seller: &UserId) -> Result<Option<PayoutAccount>> {
        EmbeddedStore::get(self, PAYOUT_ACCOUNTS, seller.to_string()).await
    }

    async fn account_by_id(&self, account_id: &str) -> Result<Option<PayoutAccount>> {
        let account_id = account_id.to_owned();
        self.read(move |txn| {
            Ok(all(txn, PAYOUT_ACCOUNTS)?.into_iter().find(|account: &PayoutAccount| account.account_id == account_id))
        })
        .await
    }
}

impl EmbeddedStore {
    /// Every order (the payouts backfill reads them all).
    pub async fn all_orders(&self) -> Result<Vec<Order>> {
        self.read(|txn| all(txn, ORDERS)).await
    }
}

/// Every record of `table`.
fn all<T: serde::de::DeserializeOwned>(txn: &ReadTransaction, table: Table) -> Result<Vec<T>> {
    let Some(records) = open_readable(txn, table)? else { return Ok(Vec::new()) };
    let mut all = Vec::new();
    for entry in records.iter().map_err(storage)? {
        all.push(decode(entry.map_err(storage)?.1.value())?);
    }
    Ok(all)
}
