//! The API as its users drive it: HTTP against the local runner (in process, on the
//! embedded adapters), the course's and the web client's requests, the contract, the samples,
//! and the event flow, expiry and recovery end to end.

mod auth_api;
mod contract;
mod course_client;
mod delivery_api;
mod edge_api;
mod email_verification;
mod event_backbone;
mod expiration_and_notifications;
mod fault_injection;
mod interleavings;
mod mail;
mod orders_api;
mod outcomes;
mod password_reset;
mod payments_api;
mod recovery;
mod sample_events;
mod tickets_api;
mod web_client;
