//! One suite, every `PaymentStore`: the embedded store and DynamoDB (on moto server).

use domain::testing::payments as suite;

on_both_stores!(a_payment_is_found_by_its_order_and_by_its_intent_and_is_one_per_order,);
