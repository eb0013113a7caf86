//! The entities, each with its states and the transitions between them (methods that
//! return the next state, one version on), and the views clients and consumers see. They
//! know nothing of storage: the use cases read them through the ports and write them as
//! [`crate::change::Change`]s.

mod gateway_event;
mod holds;
mod notification;
mod order;
mod payment;
mod payout;
mod payout_account;
mod payout_terms;
mod ticket;
mod ticket_file;
mod user;

pub use gateway_event::{GatewayEvent, GatewayEventKind};
pub use holds::{Hold, Holds};
pub use notification::Notification;
pub use order::{
    CancelReason, Order, OrderEventData, OrderStatus, OrderView, OrderedTicket, Problem, ProblemView, ReservationState,
    TicketSummary, TicketSummaryData,
};
pub use payment::{
    Charge, Dispute, DisputeStatus, Intent, IntentRequest, IntentStatus, MISMATCH, OrderPage, OrderPageView, Payment,
    PaymentResultView, PaymentStatus, PaymentView, cancel_key, refund_key,
};
pub use payout::{HoldReason, Payout, PayoutState, PayoutStatus, PayoutView};
pub use payout_account::{
    AccountEvent, AccountEventKind, AccountState, AccountStatus, AccountView, OnboardingLink, PayoutAccount, Reversal,
    TransferRequest, reversal_key, transfer_key,
};
pub use payout_terms::{DEFAULT_HOLD_SECONDS, PayoutTerms};
pub use ticket::{LetGo, Ticket, TicketDraft, TicketFilter, TicketStatus, TicketView};
pub use ticket_file::{
    FileDraft, FileType, FileView, HEAD_BYTES, KEY_PREFIX, PendingUpload, TicketFile, ticket_of_key,
};
pub use user::{
    Email, MailSuppression, Password, PasswordHash, Redemption, StoredToken, SuppressionReason, TokenPurpose, User,
    trim_ascii_space,
};
