//! Users, keyed by their (lower-cased) email: the key makes an email unique.

use domain::entities::{Email, MailSuppression, User};
use domain::ids::UserId;
use domain::ports::UserStore;
use domain::{Error, Result};

use redb::ReadableTable;

use crate::store::{EmbeddedStore, USERS, decode, encode, open_readable, storage};

impl UserStore for EmbeddedStore {
    async fn insert(&self, user: &User) -> Result<()> {
        let record = encode(user)?;
        let email = user.email.as_str().to_owned();
        self.write(move |txn| {
            let mut users = txn.open_table(USERS).map_err(storage)?;
            if users.get(email.as_str()).map_err(storage)?.is_some() {
                return Err(Error::Conflict("Email in use"));
            }
            users.insert(email.as_str(), record.as_slice()).map_err(storage)?;
            Ok(())
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
        let (email, suppression) = (email.as_str().to_owned(), suppression.clone());
        self.write(move |txn| {
            let mut users = txn.open_table(USERS).map_err(storage)?;
            let stored = users.get(email.as_str()).map_err(storage)?.map(|record| decode::<User>(record.value()));
            let Some(stored) = stored else { return Ok(false) };
            let mut stored = stored?;
            if stored.mail_suppressed.is_none() {
                stored.mail_suppressed = Some(suppression);
                users.insert(email.as_str(), encode(&stored)?.as_slice()).map_err(storage)?;
            }
            Ok(true)
        })
        .await
    }
}
