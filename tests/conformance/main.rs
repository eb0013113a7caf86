//! One suite per port (`domain::testing`), run on every adapter of it: the embedded ones,
//! DynamoDB and S3 on moto, and Stripe on localstripe.

mod change_store_conformance;
mod file_store_conformance;
mod inbox_conformance;
mod notification_store_conformance;
mod order_store_conformance;
mod payment_gateway_conformance;
mod payment_store_conformance;
mod payout_gateway_conformance;
mod payout_store_conformance;
mod sign_in_attempts_conformance;
mod user_store_conformance;
