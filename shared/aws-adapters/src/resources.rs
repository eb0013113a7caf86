//! The AWS resources a function is given, one capability each, read from the variables
//! `template.yaml` sets: a function reads exactly the resources it uses.

use domain::config::{ConfigError, Env, FromEnv};

macro_rules! resource {
    ($(#[$doc:meta])* $name:ident, $variable:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(pub String);

        impl $name {
            pub const VARIABLE: &'static str = $variable;

            pub fn name(&self) -> &str {
                &self.0
            }
        }

        impl FromEnv for $name {
            fn from_env(env: &Env) -> Result<Self, ConfigError> {
                env.required($variable).map(Self)
            }
        }
    };
}

resource!(
    /// The users table.
    UsersTable,
    "USERS_TABLE"
);
resource!(
    /// Failed sign-ins per email, for throttling.
    SignInAttemptsTable,
    "SIGN_IN_ATTEMPTS_TABLE"
);
resource!(
    /// The tickets table.
    TicketsTable,
    "TICKETS_TABLE"
);
resource!(
    /// The orders table.
    OrdersTable,
    "ORDERS_TABLE"
);
resource!(
    /// The payments table.
    PaymentsTable,
    "PAYMENTS_TABLE"
);
resource!(
    /// Sellers' payouts, one per complete order.
    PayoutsTable,
    "PAYOUTS_TABLE"
);
resource!(
    /// The outbox table every change stores its events in.
    OutboxTable,
    "OUTBOX_TABLE"
);
resource!(
    /// The processed event ids of the Stripe webhook.
    InboxTable,
    "INBOX_TABLE"
);
resource!(
    /// The notifications table.
    NotificationsTable,
    "NOTIFICATIONS_TABLE"
);
resource!(
    /// The outbound notifications queue's URL, for the delivery integration.
    NotificationsQueue,
    "NOTIFICATIONS_QUEUE_URL"
);
resource!(
    /// The queue the outbox relay parks records it can never publish in.
    RelayDeadLetterQueue,
    "RELAY_DLQ_URL"
);
resource!(
    /// The private bucket of ticket files.
    FilesBucket,
    "FILES_BUCKET"
);
resource!(
    /// The EventBridge bus events are published to.
    EventBusName,
    "EVENT_BUS_NAME"
);

/// Where mail leaves from: `MAIL_FROM`, the verified sender identity (an address of a verified
/// domain), and `MAIL_CONFIGURATION_SET`, whose event destination reports bounces and
/// complaints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSender {
    pub from: String,
    pub configuration_set: String,
}

impl FromEnv for MailSender {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { from: env.required("MAIL_FROM")?, configuration_set: env.required("MAIL_CONFIGURATION_SET")? })
    }
}

/// Where the expiry schedules live and what they invoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleTarget {
    /// `SCHEDULE_GROUP`
    pub group: String,
    /// `EXPIRY_FUNCTION_ARN`: the expiry function.
    pub target_arn: String,
    /// `SCHEDULER_ROLE_ARN`: the role Scheduler assumes to invoke it.
    pub role_arn: String,
    /// `SCHEDULE_DLQ_ARN`: where invocations that keep failing go.
    pub dead_letter_arn: String,
}

/// Where the payouts' schedules live and what they invoke: `PAYOUT_SCHEDULE_GROUP`,
/// `PAYOUT_RELEASE_FUNCTION_ARN` (the release function), `SCHEDULER_ROLE_ARN` and
/// `SCHEDULE_DLQ_ARN` (shared with the expiries').
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseTarget(pub ScheduleTarget);

impl FromEnv for ReleaseTarget {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self(ScheduleTarget {
            group: env.required("PAYOUT_SCHEDULE_GROUP")?,
            target_arn: env.required("PAYOUT_RELEASE_FUNCTION_ARN")?,
            role_arn: env.required("SCHEDULER_ROLE_ARN")?,
            dead_letter_arn: env.required("SCHEDULE_DLQ_ARN")?,
        }))
    }
}

impl FromEnv for ScheduleTarget {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            group: env.required("SCHEDULE_GROUP")?,
            target_arn: env.required("EXPIRY_FUNCTION_ARN")?,
            role_arn: env.required("SCHEDULER_ROLE_ARN")?,
            dead_letter_arn: env.required("SCHEDULE_DLQ_ARN")?,
        })
    }
}
