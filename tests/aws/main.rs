//! What needs AWS's own behaviour: DynamoDB's semantics replayed, the outbox relay on
//! moto, and every function's binary run as deployed, its role checked against its calls.

mod aws_semantics;
mod deployed_functions;
mod outbox_relay;
mod replay;
