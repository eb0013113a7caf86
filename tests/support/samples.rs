//! The samples in `events/` and the data they expect to find.

use std::path::{Path, PathBuf};

use chrono::Utc;
use domain::change::{Change, Write};
use domain::config::Secret;
use domain::entities::{
    Email, FileDraft, FileType, IntentRequest, IntentStatus, Order, OrderStatus, OrderedTicket, Password, Payment,
    PaymentStatus, Payout, PayoutAccount, PendingUpload, StoredToken, Ticket, TicketFile, TicketStatus, TokenPurpose,
    User,
};
use domain::events::EventType;
use domain::ids::{OrderId, PaymentId, TicketId, UserId};
use domain::money::Money;
use domain::ports::{
    AttemptWindow, ChangeStore, PasswordHasher, PaymentGateway, PayoutGateway, Secrets, SignInAttempts, UserStore,
};
use domain::users::{self, ClientAddress};
use edge::passwords::Argon2Passwords;
use edge::secrets::RandomSecrets;
use serde_json::Value;

use crate::repo_root;

/// The account the samples sign in to, as `sam local invoke` users create it first.
pub const SAMPLE_EMAIL: &str = "ada@example.com";
/// The secret of the sample account's password reset (the token is `<SAMPLE_USER>.<secret>`).
pub const SAMPLE_RESET_SECRET: &str = "sample-reset-secret-not-a-real-one";
/// The secret of the sample account's e-mail verification, still to be used (the account is
/// verified already: connecting a payout account asks for it).
pub const SAMPLE_VERIFICATION_SECRET: &str = "sample-verification-secret-not-a-real-one";
pub const SAMPLE_PASSWORD: &str = "correct horse battery";
/// The user the sample session tokens name.
pub const SAMPLE_USER: &str = "01KADA0000000000000000SAMPLE";

/// Someone else, who sells and buys too.
pub const OTHER_USER: &str = "01KGRACE000000000000000SAMPLE";

/// Orders of the samples: the sample user's open one (holding ticket C), someone else's, a
/// paid one, one awaiting its payment's webhook (holding D), and one whose reservation
/// lapsed without its expiry having run (holding E).
pub const OPEN_ORDER: &str = "01KB0SAMP1E00RDER000000000";
pub const OTHERS_ORDER: &str = "01KB0SAMP1E00RDER00000000B";
pub const PAID_ORDER: &str = "01KB0SAMP1E00RDER00000000P";
pub const PAYING_ORDER: &str = "01KB0SAMP1E00RDER00000000W";
pub const LAPSED_ORDER: &str = "01KB0SAMP1E00RDER00000000X";
/// The sample user's listed ticket whose seller declared a file upload not checked yet: for
/// `files-check`'s samples, its PDF is stored under [`UPLOADED_KEY`] and the ticket stored
/// with the pending upload ([`upload_to_check`]).
pub const UPLOADING_TICKET: &str = "01KB0SAMP1E0T1CKET0000000V";
pub const UPLOADED_KEY: &str = "tickets/01KB0SAMP1E0T1CKET0000000V/01KB0SAMP1E0F11E000000000V";
/// The size of the samples' ticket files (a PDF of about 48 KB).
pub const SAMPLE_FILE_SIZE: u64 = 48213;
/// The sample user's complete order of someone else's ticket F, whose file was delivered.
pub const DELIVERED_ORDER: &str = "01KB0SAMP1E00RDER00000000D";
/// The sample user's order (holding G) whose payment Stripe.js has confirmed in the browser,
/// its success not recorded yet: for `payments-create`'s samples, its intent is made and paid
/// at the stack's own Stripe account and its payment stored ([`confirmed_in_browser`]).
pub const CONFIRMED_ORDER: &str = "01KB0SAMP1E00RDER00000000S";
/// A complete sale whose payout is due to a seller able to receive it: for
/// `payouts-release`'s samples, its intent is paid and its seller's account onboarded at the
/// stack's own Stripe account, the payout and the account stored ([`due_to_an_onboarded_seller`]).
pub const TRANSFER_ORDER: &str = "01KB0SAMP1E00RDER00000000T";
/// The seller of [`TRANSFER_ORDER`]'s ticket.
pub const ONBOARDED_SELLER: &str = "01KSELLER00000000000000SAMPLE";

/// The PaymentIntents of the paid order and of the one awaiting its webhook.
/// Someone else's payout account at the provider (not onboarded).
pub const SAMPLE_ACCOUNT: &str = "acct_1SAMPLE0000000001";
pub const PAID_INTENT: &str = "pi_3SAMPLE0000000000000000P";
pub const PAYING_INTENT: &str = "pi_3SAMPLE0000000000000000W";

/// The tickets the samples refer to: the sample user's, someone else's, and three held by
/// the orders above.
pub const SAMPLE_TICKETS: [(&str, &str, Option<&str>); 7] = [
    ("01KB0SAMP1E0T1CKET0000000A", SAMPLE_USER, None),
    ("01KB0SAMP1E0T1CKET0000000B", OTHER_USER, None),
    ("01KB0SAMP1E0T1CKET0000000C", SAMPLE_USER, Some(OPEN_ORDER)),
    ("01KB0SAMP1E0T1CKET0000000D", OTHER_USER, Some(PAYING_ORDER)),
    ("01KB0SAMP1E0T1CKET0000000E", OTHER_USER, Some(LAPSED_ORDER)),
    ("01KB0SAMP1E0T1CKET0000000F", OTHER_USER, Some(DELIVERED_ORDER)),
    ("01KB0SAMP1E0T1CKET0000000G", OTHER_USER, Some(CONFIRMED_ORDER)),
];

/// The tickets with a file (the sample user's A, and F, sold with it), and its key.
pub const SAMPLE_FILES: [(&str, &str); 2] = [
    ("01KB0SAMP1E0T1CKET0000000A", "tickets/01KB0SAMP1E0T1CKET0000000A/01KB0SAMP1E0F11E000000000A"),
    ("01KB0SAMP1E0T1CKET0000000F", "tickets/01KB0SAMP1E0T1CKET0000000F/01KB0SAMP1E0F11E000000000F"),
];

/// Each order: buyer, status, the ticket it holds, when its reservation ends.
pub const SAMPLE_ORDERS: [(&str, &str, OrderStatus, &str, &str); 7] = [
    (OPEN_ORDER, SAMPLE_USER, OrderStatus::Created, "01KB0SAMP1E0T1CKET0000000C", FAR_AWAY),
    (OTHERS_ORDER, OTHER_USER, OrderStatus::Created, "01KB0SAMP1E0T1CKET0000000C", FAR_AWAY),
    (PAID_ORDER, SAMPLE_USER, OrderStatus::Complete, "01KB0SAMP1E0T1CKET0000000C", FAR_AWAY),
    (PAYING_ORDER, SAMPLE_USER, OrderStatus::AwaitingPayment, "01KB0SAMP1E0T1CKET0000000D", FAR_AWAY),
    (LAPSED_ORDER, SAMPLE_USER, OrderStatus::Created, "01KB0SAMP1E0T1CKET0000000E", LAPSED),
    (DELIVERED_ORDER, SAMPLE_USER, OrderStatus::Complete, "01KB0SAMP1E0T1CKET0000000F", FAR_AWAY),
    (CONFIRMED_ORDER, SAMPLE_USER, OrderStatus::AwaitingPayment, "01KB0SAMP1E0T1CKET0000000G", FAR_AWAY),
];

const FAR_AWAY: &str = "2100-01-01T00:00:00Z";
const LAPSED: &str = "2026-01-01T00:00:00Z";

fn ticket_id(id: &str) -> TicketId {
    TicketId::parse(id).expect("sample ticket ids are ULIDs")
}

fn order_id(id: &str) -> OrderId {
    OrderId::parse(id).expect("sample order ids are ULIDs")
}

fn payment(order: &str, intent: &str, status: PaymentStatus) -> Payment {
    Payment {
        id: PaymentId::generate(),
        order_id: order_id(order),
        user_id: UserId::from(SAMPLE_USER),
        stripe_id: intent.to_owned(),
        amount: Money::from_minor(4500),
        currency: "usd".to_owned(),
        status,
        client_secret: None,
        failure_message: None,
        refund_id: None,
        refund_claimed_at: None,
        amount_refunded: Money::from_minor(0),
        livemode: false,
        dispute: None,
        version: 0,
        created_at: Utc::now(),
    }
}

/// An email locked out of sign-in at the samples' address: five failures from there in the
/// current window.
pub const LOCKED_EMAIL: &str = "locked@example.com";
/// Where the samples come from (their `sourceIp`).
pub const SAMPLE_ADDRESS: &str = "203.0.113.7";
/// An address that has made its sign-ups of the hour.
pub const SIGNED_UP_ADDRESS: &str = "198.51.100.66";

/// Stores what the samples expect to find: the account, one failed sign-in of its own (so
/// a successful sign-in clears it), the locked-out email's failures, tickets, orders and
/// payments.
pub async fn seed(users_store: &impl UserStore, attempts: &impl SignInAttempts, store: &impl ChangeStore) {
    let (email, password) = (Email::parse(SAMPLE_EMAIL).unwrap(), Password::parse(SAMPLE_PASSWORD).unwrap());
    let now = Utc::now();
    // The account the sample sessions name (of generation 0, as theirs).
    let password_hash = Argon2Passwords.hash(password).await.unwrap();
    let account = User {
        id: UserId::from(SAMPLE_USER),
        email: email.clone(),
        password_hash,
        created_at: now,
        session_generation: 0,
        mail_suppressed: None,
        reset_token: None,
        email_verified_at: Some(now),
        verification_token: None,
    };
    users_store.insert(&account, &[]).await.unwrap();
    // A password reset and a verification the sample account asked for, still to be used
    // (their tokens are in the samples; only their hashes are stored).
    for (purpose, secret) in [
        (TokenPurpose::PasswordReset, SAMPLE_RESET_SECRET),
        (TokenPurpose::EmailVerification, SAMPLE_VERIFICATION_SECRET),
    ] {
        let token = StoredToken { hash: RandomSecrets.hash(secret), expires_at: now + chrono::Duration::days(3650) };
        users_store.put_token(&email, purpose, &token).await.unwrap();
    }
    let signing_in = AttemptWindow::at(now, users::SIGN_IN_WINDOW, u32::MAX);
    let here = ClientAddress::parse(SAMPLE_ADDRESS).unwrap();
    for key in [users::email_from_key(&email, &here), users::email_key(&email)] {
        attempts.reserve(&key, signing_in).await.unwrap();
    }
    let locked = users::email_from_key(&Email::parse(LOCKED_EMAIL).unwrap(), &here);
    for _ in 0..users::MAX_FAILED_SIGN_INS {
        attempts.reserve(&locked, signing_in).await.unwrap();
    }
    let asker = users::sign_ups_key(&ClientAddress::parse(SIGNED_UP_ADDRESS).unwrap());
    for _ in 0..users::MAX_SIGN_UPS {
        attempts.reserve(&asker, AttemptWindow::at(now, users::SIGN_UP_WINDOW, u32::MAX)).await.unwrap();
    }
    let mut change = Change::default();
    let until = |order: &str| {
        let (_, _, _, _, until) = SAMPLE_ORDERS.iter().find(|(id, ..)| *id == order).expect("a sample order");
        until.parse().expect("a time")
    };
    for (id, seller, holder) in SAMPLE_TICKETS {
        let sold = holder.is_some_and(|order| {
            SAMPLE_ORDERS.iter().any(|(id, _, status, ..)| *id == order && *status == OrderStatus::Complete)
        });
        let file = SAMPLE_FILES.iter().find(|(ticket, _)| *ticket == id).map(|(_, key)| TicketFile {
            key: (*key).to_owned(),
            name: "ticket.pdf".to_owned(),
            content_type: FileType::Pdf,
            size: SAMPLE_FILE_SIZE,
            attached_at: Utc::now(),
        });
        let ticket = Ticket {
            id: ticket_id(id),
            title: "Sample concert".to_owned(),
            price: Money::from_minor(4500),
            currency: "usd".to_owned(),
            date: None,
            venue: None,
            user_id: UserId::from(seller),
            status: match holder {
                _ if sold => TicketStatus::Sold,
                Some(_) => TicketStatus::Reserved,
                None => TicketStatus::Available,
            },
            order_id: holder.map(order_id),
            reserved_until: holder.filter(|_| !sold).map(until),
            version: 0,
            terms: 0,
            let_go: None,
            payout_terms: Default::default(),
            file,
            upload: None,
            created_at: Utc::now(),
        };
        change.events.push(ticket.event(EventType::TicketCreated, Utc::now()).unwrap());
        change.tickets.push(Write::Insert(ticket));
    }
    for (id, ..) in SAMPLE_ORDERS {
        change.orders.push(Write::Insert(sample_order(id)));
    }
    change.payments.push(Write::Insert(payment(PAID_ORDER, PAID_INTENT, PaymentStatus::Succeeded)));
    // The sale of the complete order, due to be paid out to its ticket's seller, who has no
    // payout account: its release holds it.
    let paid = change.orders.iter().map(Write::record).find(|order| order.id.as_str() == PAID_ORDER).expect("paid");
    let sold = change.tickets.iter().map(Write::record).find(|ticket| ticket.id == paid.ticket.id).expect("sold");
    // Its ticket was delivered (the payout is not held for want of the file).
    let delivered = Ticket { file: Some(domain::testing::file_of(&sold.id)), ..sold.clone() };
    let payout = Payout::for_sale(paid, &delivered, PAID_INTENT, Utc::now() - chrono::Duration::days(4));
    change.payouts.push(Write::Insert(payout));
    change.payments.push(Write::Insert(payment(PAYING_ORDER, PAYING_INTENT, PaymentStatus::Processing)));
    // Someone else's payout account, not onboarded yet: what the Connect webhook's samples
    // are about.
    let account = PayoutAccount::open(UserId::from(OTHER_USER), SAMPLE_ACCOUNT.to_owned(), Utc::now());
    change.accounts.push(Write::Insert(account));
    store.commit(&change).await.unwrap();
}

/// The sample order `id` as [`seed`] stores it.
fn sample_order(id: &str) -> Order {
    let (_, buyer, status, ticket, until) = SAMPLE_ORDERS.iter().find(|order| order.0 == id).expect("a sample order");
    Order {
        id: order_id(id),
        user_id: UserId::from(*buyer),
        ticket: OrderedTicket {
            id: ticket_id(ticket),
            title: "Sample concert".to_owned(),
            price: Money::from_minor(4500),
            currency: "usd".to_owned(),
            date: None,
            terms: 0,
        },
        status: *status,
        expires_at: until.parse().expect("a time"),
        cancel_reason: None,
        refunded_at: None,
        problem: None,
        version: 0,
        created_at: Utc::now(),
    }
}

/// [`CONFIRMED_ORDER`]'s payment as Stripe.js leaves it: its intent made through `gateway` (a
/// Stripe account of the stack's own) and paid with a card, the payment stored as started.
pub async fn confirmed_in_browser(gateway: &impl PaymentGateway, store: &impl ChangeStore) {
    let order = sample_order(CONFIRMED_ORDER);
    let intent = gateway.create_intent(&IntentRequest::for_order(&order)).await.unwrap();
    let paid = gateway.confirm(&intent.id, "pm_card_visa").await.unwrap();
    assert_eq!(paid.status, IntentStatus::Succeeded, "{paid:?}");
    let started = Payment::start(&order, intent, Utc::now());
    store.commit(&Change { payments: vec![Write::Insert(started)], ..Change::default() }).await.unwrap();
}

/// [`TRANSFER_ORDER`]'s sale, its payout due to [`ONBOARDED_SELLER`]: the buyer's intent made
/// through `gateway` (a localstripe account of the stack's own) and paid with a card, the
/// seller's account made there and onboarded, both stored as a release finds them.
pub async fn due_to_an_onboarded_seller(gateway: &(impl PaymentGateway + PayoutGateway), store: &impl ChangeStore) {
    let ticket = domain::testing::ticket(ONBOARDED_SELLER, "Sample concert");
    let mut order = Order { id: order_id(TRANSFER_ORDER), status: OrderStatus::Complete, ..sample_order(PAID_ORDER) };
    order.ticket.id = ticket.id.clone();
    let intent = gateway.create_intent(&IntentRequest::for_order(&order)).await.unwrap();
    let paid = gateway.confirm(&intent.id, "pm_card_visa").await.unwrap();
    assert_eq!(paid.status, IntentStatus::Succeeded, "{paid:?}");
    let seller = UserId::from(ONBOARDED_SELLER);
    let account_id = gateway.create_account(&seller).await.unwrap();
    crate::localstripe::onboard(&account_id).await;
    let account = PayoutAccount { payouts_enabled: true, ..PayoutAccount::open(seller, account_id, Utc::now()) };
    // Sold four days ago: its hold is over.
    let payout = Payout::for_sale(&order, &ticket, &intent.id, Utc::now() - chrono::Duration::days(4));
    let change =
        Change { payouts: vec![Write::Insert(payout)], accounts: vec![Write::Insert(account)], ..Change::default() };
    store.commit(&change).await.unwrap();
}

/// [`UPLOADING_TICKET`], listed, its upload of [`UPLOADED_KEY`] declared: the ticket stored,
/// and a PDF of the declared size stored under the key in `bucket` (on moto), as the seller's
/// browser leaves it.
pub async fn upload_to_check(store: &impl ChangeStore, bucket: &str) {
    let draft = FileDraft { name: "ticket.pdf".to_owned(), content_type: FileType::Pdf, size: SAMPLE_FILE_SIZE };
    let declared = PendingUpload {
        key: UPLOADED_KEY.to_owned(),
        ..PendingUpload::new(&ticket_id(UPLOADING_TICKET), draft, Utc::now() + chrono::Duration::hours(1))
    };
    let listed = domain::testing::ticket(SAMPLE_USER, "Sample concert");
    let ticket = Ticket { id: ticket_id(UPLOADING_TICKET), file: None, upload: Some(declared), ..listed };
    store.commit(&Change { tickets: vec![Write::Insert(ticket)], ..Change::default() }).await.unwrap();
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(SAMPLE_FILE_SIZE as usize, b' ');
    crate::moto::put_object(bucket, UPLOADED_KEY, &pdf).await;
}

/// Sample folders that are not an HTTP function's: the domain events as the bus delivers
/// them, the outbox relay's stream events, and the consumers', the expiry's and the
/// scheduled functions' inputs.
pub const OTHER_SAMPLES: [&str; 13] = [
    "bus",
    "mail-feedback",
    "mail-send",
    "files-check",
    "outbox-relay",
    "expiration-fire",
    "expiration-schedule",
    "expiration-sweep",
    "notifications-consumer",
    "payments-reconcile",
    "payouts-release",
    "payouts-schedule",
    "payouts-sweep",
];

/// The HTTP functions' samples, by function.
pub fn functions_with_samples() -> Vec<(String, Vec<PathBuf>)> {
    sample_folders(&OTHER_SAMPLES)
}

/// Every function's samples, by function: all folders of `events/` but the bus's.
pub fn every_functions_samples() -> Vec<(String, Vec<PathBuf>)> {
    sample_folders(&["bus"])
}

fn sample_folders(skipped: &[&str]) -> Vec<(String, Vec<PathBuf>)> {
    let mut functions: Vec<_> = std::fs::read_dir(repo_root().join("events"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir() && !skipped.iter().any(|other| path.ends_with(other)))
        .map(|dir| {
            let mut samples: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|entry| entry.unwrap().path()).collect();
            samples.sort();
            (dir.file_name().unwrap().to_string_lossy().into_owned(), samples)
        })
        .collect();
    functions.sort();
    functions
}

/// A secret of the environment `sam local invoke` runs `function` with.
pub fn sam_local_env(function: &str, name: &str) -> Secret {
    let env: Value =
        serde_json::from_str(&std::fs::read_to_string(repo_root().join("events/sam-local-env.json")).unwrap()).unwrap();
    Secret::new(env[function][name].as_str().unwrap_or_else(|| panic!("{function} {name} in sam-local-env.json")))
}

/// The webhook functions, each with its configuration's name and its secret's variable.
pub const WEBHOOKS: [(&str, &str, &str); 2] = [
    ("payments-webhook", "PaymentsWebhookFunction", "STRIPE_WEBHOOK_SECRET"),
    ("payouts-webhook", "PayoutsWebhookFunction", "STRIPE_CONNECT_WEBHOOK_SECRET"),
];

/// A webhook sample's Stripe signature is good for five minutes: sign its body again now,
/// with `function`'s secret.
pub fn signed_now(function: &str, event: &str) -> String {
    let (_, configuration, variable) =
        WEBHOOKS.iter().find(|(name, ..)| *name == function).unwrap_or_else(|| panic!("{function}: not a webhook"));
    let mut event: Value = serde_json::from_str(event).unwrap();
    let body = event["body"].as_str().unwrap().to_owned();
    let signature =
        stripe_adapter::webhook::sign(body.as_bytes(), &sam_local_env(configuration, variable), Utc::now().timestamp());
    event["headers"]["stripe-signature"] = Value::String(signature);
    event.to_string()
}

pub fn expected_status(sample: &Path) -> u16 {
    let name = sample.file_name().unwrap().to_string_lossy();
    name.split('-').next().and_then(|status| status.parse().ok()).unwrap_or_else(|| {
        panic!("{name}: a sample's name starts with the status it expects, like 201-new-account.json")
    })
}
