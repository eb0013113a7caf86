//! Users, keyed by their (lower-cased) email: the key makes an email unique.

use chrono::{DateTime, Utc};
use domain::entities::{Email, MailSuppression, Redemption, StoredToken, TokenPurpose, User};
use domain::events::Event;
use domain::ids::UserId;
use domain::ports::UserStore;
use domain::{Error, Result};

use redb::ReadableTable;

use crate::changes::EncodedEvents;
use crate::store::{EmbeddedStore, USERS, decode, encode, open_readable, storage};

impl UserStore for EmbeddedStore {
    async fn insert(&self, user: &User, events: &[Event]) -> Result<()> {
        let (record, id) = (encode(user)?, user.id.clone());
        let email = user.email.as_str().to_owned();
        let events = EncodedEvents::of(events)?;
        self.write(move |txn| {
            let mut users = txn.open_table(USERS).map_err(storage)?;
            if let Some(stored) = users.get(email.as_str()).map_err(storage)? {
                // A retried insert that had committed finds its own account, with its events.
                let stored: User = decode(stored.value())?;
                return if stored.id == id { Ok(()) } else { Err(Error::Conflict("Email in use")) };
            }
            users.insert(email.as_str(), record.as_slice()).map_err(storage)?;
            events.store(txn)
        })
        .await
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>> {
        self.get(USERS, email.as_str().to_owned()).await
    }

    async fn end_sessions(&self, email: &Email, user: &UserId) -> Result<u32> {
        let (email, user) = (email.as_str().to_owned(), user.clone());
        self.write(move |txn| {
            let mut users = txn.open_table(USERS).map_err(storage)?;
            let stored = users.get(email.as_str()).map_err(storage)?.map(|record| decode::<User>(record.value()));
            let mut stored = match stored {
                Some(stored) => stored?,
                None => return Err(Error::Unauthorized("Not authorized")),
            };
            if stored.id != user {
                return Err(Error::Unauthorized("Not authorized"));
            }
            stored.session_generation += 1;
            users.insert(email.as_str(), encode(&stored)?.as_slice()).map_err(storage)?;
            Ok(stored.session_generation)
        })
        .await
    }

    async fn find_by_id(&self, id: &UserId) -> Result<Option<User>> {
        let id = id.clone();
        self.read(move |txn| {
            let Some(users) = open_readable(txn, USERS)? else { return Ok(None) };
            for entry in users.iter().map_err(storage)? {
                let user: User = decode(entry.map_err(storage)?.1.value())?;
                if user.id == id {
                    return Ok(Some(user));
                }
            }
            Ok(None)
        })
        .await
    }

    async fn suppress_mail(&self, email: &Email, suppression: &MailSuppression) -> Result<bool> {
        let suppression = suppression.clone();
        let found = self.update_user(email, move |user| {
            // The first reason stays.
            let first = user.mail_suppressed.is_none();
            if first {
                user.mail_suppressed = Some(suppression);
            }
            first
        });
        Ok(found.await?.is_some())
    }

    async fn put_token(&self, email: &Email, purpose: TokenPurpose, token: &StoredToken) -> Result<bool> {
        let token = token.clone();
        let found = self.update_user(email, move |user| {
            user.set_token(purpose, Some(token));
            true
        });
        Ok(found.await?.is_some())
    }

    async fn redeem_token(
        &self,
        email: &Email,
        redemption: &Redemption,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let (redemption, hash) = (redemption.clone(), hash.to_owned());
        let redeemed = self.update_user(email, move |user| {
            let current =
                user.token(redemption.purpose()).is_some_and(|token| token.hash == hash && token.expires_at > now);
            if current {
                user.redeem(&redemption, now);
            }
            current
        });
        Ok(redeemed.await? == Some(true))
    }
}

impl EmbeddedStore {
    /// Applies `change` to the account of `email` in one write transaction, writing it back
    /// when `change` says it changed it: whether it did, `None` without an account.
    async fn update_user(
        &self,
        email: &Email,
        change: impl FnOnce(&mut User) -> bool + Send + 'static,
    ) -> Result<Option<bool>> {
        let email = email.as_str().to_owned();
        self.write(move |txn| {
            let mut users = txn.open_table(USERS).map_err(storage)?;
            let stored = users.get(email.as_str()).map_err(storage)?.map(|record| decode::<User>(record.value()));
            let Some(stored) = stored else { return Ok(None) };
            let mut stored = stored?;
            let changed = change(&mut stored);
            if changed {
                users.insert(email.as_str(), encode(&stored)?.as_slice()).map_err(storage)?;
            }
            Ok(Some(changed))
        })
        .await
    }
}
