//! One suite, every `UserStore` adapter: the embedded store the local runner uses and
//! the DynamoDB store (against moto server). Both must behave the same.

use shared::Error;
use shared::adapters::{EmbeddedDb, EmbeddedUserStore};
use shared::ports::UserStore;
use shared::users::{self, Email, Password};

mod suite {
    use super::*;

    fn email(raw: &str) -> Email {
        Email::parse(raw).unwrap()
    }

    async fn sign_up(store: &impl UserStore, raw_email: &str) -> shared::Result<users::User> {
        users::sign_up(store, email(raw_email), Password::parse("correct horse battery").unwrap()).await
    }

    pub async fn a_stored_user_is_found_by_email_with_every_field(store: impl UserStore) {
        let user = sign_up(&store, "ada@example.com").await.unwrap();
        let found = store.find_by_email(&email("ada@example.com")).await.unwrap().expect("stored user");
        assert_eq!(found.id, user.id);
        assert_eq!(found.email, user.email);
        assert_eq!(found.created_at, user.created_at);
        let signed_in =
            users::sign_in(&store, &email("ADA@example.com"), Password::candidate("correct horse battery").unwrap())
                .await
                .expect("the stored hash verifies the password");
        assert_eq!(signed_in.id, user.id);
    }

    pub async fn an_unknown_email_is_not_found(store: impl UserStore) {
        sign_up(&store, "ada@example.com").await.unwrap();
        assert!(store.find_by_email(&email("grace@example.com")).await.unwrap().is_none());
    }

    pub async fn a_taken_email_is_a_conflict_and_the_first_account_is_kept(store: impl UserStore) {
        let first = sign_up(&store, "ada@example.com").await.unwrap();
        let second = sign_up(&store, "  ADA@Example.com ").await;
        assert!(matches!(second, Err(Error::Conflict("Email in use"))), "{second:?}");
        let kept = store.find_by_email(&email("ada@example.com")).await.unwrap().unwrap();
        assert_eq!(kept.id, first.id);
    }

    pub async fn distinct_emails_are_distinct_accounts(store: impl UserStore) {
        let ada = sign_up(&store, "ada@example.com").await.unwrap();
        let grace = sign_up(&store, "grace@example.com").await.unwrap();
        assert_ne!(ada.id, grace.id);
        assert_eq!(store.find_by_email(&email("grace@example.com")).await.unwrap().unwrap().id, grace.id);
    }

    pub async fn concurrent_sign_ups_with_one_email_let_exactly_one_through(store: impl UserStore + Clone + 'static) {
        const RACERS: usize = 8;
        let mut racers = tokio::task::JoinSet::new();
        for _ in 0..RACERS {
            let store = store.clone();
            racers.spawn(async move { sign_up(&store, "race@example.com").await });
        }
        let outcomes = racers.join_all().await;
        let winners: Vec<_> = outcomes.iter().filter_map(|outcome| outcome.as_ref().ok()).collect();
        let conflicts = outcomes.iter().filter(|outcome| matches!(outcome, Err(Error::Conflict(_)))).count();
        assert_eq!((winners.len(), conflicts), (1, RACERS - 1), "{outcomes:?}");
        let stored = store.find_by_email(&email("race@example.com")).await.unwrap().unwrap();
        assert_eq!(stored.id, winners[0].id, "the stored account is the winner's");
    }
}

macro_rules! user_store_conformance {
    ($adapter:ident, $store:expr) => {
        mod $adapter {
            use super::*;

            #[tokio::test]
            async fn a_stored_user_is_found_by_email_with_every_field() {
                suite::a_stored_user_is_found_by_email_with_every_field($store).await;
            }

            #[tokio::test]
            async fn an_unknown_email_is_not_found() {
                suite::an_unknown_email_is_not_found($store).await;
            }

            #[tokio::test]
            async fn a_taken_email_is_a_conflict_and_the_first_account_is_kept() {
                suite::a_taken_email_is_a_conflict_and_the_first_account_is_kept($store).await;
            }

            #[tokio::test]
            async fn distinct_emails_are_distinct_accounts() {
                suite::distinct_emails_are_distinct_accounts($store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn concurrent_sign_ups_with_one_email_let_exactly_one_through() {
                suite::concurrent_sign_ups_with_one_email_let_exactly_one_through($store).await;
            }
        }
    };
}

user_store_conformance!(embedded, EmbeddedUserStore::new(EmbeddedDb::in_memory()));
user_store_conformance!(dynamodb, ticketing_tests::moto::user_store().await);

#[tokio::test]
async fn the_embedded_store_keeps_accounts_across_restarts() {
    let dir = std::env::temp_dir().join(ticketing_tests::unique_name("embedded-store"));
    let path = dir.join("ticketing.redb");
    let user = {
        let store = EmbeddedUserStore::new(EmbeddedDb::open(&path).unwrap());
        users::sign_up(&store, Email::parse("ada@example.com").unwrap(), Password::parse("correct horse").unwrap())
            .await
            .unwrap()
    };
    let reopened = EmbeddedUserStore::new(EmbeddedDb::open(&path).unwrap());
    let found = reopened.find_by_email(&Email::parse("ada@example.com").unwrap()).await.unwrap();
    assert_eq!(found.map(|found| found.id), Some(user.id));
    std::fs::remove_dir_all(dir).unwrap();
}
