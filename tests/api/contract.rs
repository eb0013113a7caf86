//! The API's contract: the committed `openapi.json` is the document the code makes, it
//! documents exactly the routes of `template.yaml`, and the local runner serves it with an
//! interactive reference that works offline.

use std::collections::BTreeSet;

use serde_json::Value;
use ticketing_tests::{repo_root, spawn_app};

fn committed() -> String {
    std::fs::read_to_string(repo_root().join("openapi.json")).expect("openapi.json at the repository's root")
}

#[test]
fn the_committed_document_is_the_one_the_code_makes() {
    assert!(
        committed() == contract::json(),
        "openapi.json differs from the types it documents: run `cargo run -q -p contract > openapi.json`"
    );
}

#[test]
fn every_route_of_the_template_is_documented_and_nothing_else() {
    let documented: BTreeSet<(String, String)> = contract::operations().into_iter().collect();
    // The local runner's routes are the template's (tests/template.rs keeps them equal).
    let routed: BTreeSet<(String, String)> =
        local::ROUTES.iter().map(|route| (route.method.to_owned(), route.path.to_owned())).collect();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(undocumented.is_empty() && unrouted.is_empty(), "undocumented {undocumented:?}, not routed {unrouted:?}");
}

#[test]
fn a_client_can_follow_links_from_a_listing_to_paying_and_to_its_payments() {
    let document: Value = serde_json::from_str(&committed()).unwrap();
    let links = |path: &str, method: &str, status: &str| -> BTreeSet<String> {
        let links = &document["paths"][path][method]["responses"][status]["links"];
        links
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, link)| link["operationId"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(links("/api/users/signup", "post", "201").contains("listTickets"));
    assert!(links("/api/tickets", "get", "200").contains("createOrder"));
    assert!(links("/api/tickets", "post", "201").contains("getTicket"));
    assert!(links("/api/orders", "post", "201").contains("createPayment"));
    assert!(links("/api/payments", "post", "201").contains("listPayments"));
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(
        (schemes["session"]["in"].as_str(), schemes["session"]["name"].as_str()),
        (Some("cookie"), Some("session"))
    );
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    let webhook = &document["paths"]["/api/payments/webhook"]["post"]["parameters"][0];
    assert_eq!((webhook["name"].as_str(), webhook["in"].as_str()), (Some("Stripe-Signature"), Some("header")));
    assert_eq!(document["openapi"], "3.1.0");
}

#[tokio::test]
async fn the_local_runner_serves_the_document_and_a_reference_that_needs_no_network() {
    let app = spawn_app().await;
    let served = app.client.get(app.url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(served.headers()["content-type"], "application/json");
    assert_eq!(served.text().await.unwrap(), committed());

    let page = app.client.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let mut assets = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for part in html.split(attribute).skip(1) {
            assets.push(part.split('"').next().unwrap().to_owned());
        }
    }
    assert!(assets.len() >= 3, "{assets:?}");
    for asset in assets {
        assert!(asset.starts_with("/api/docs/"), "{asset} is not served by the runner itself");
        let reply = app.client.get(app.url(&asset)).send().await.unwrap();
        assert_eq!(reply.status(), 200, "{asset}");
    }
    assert_eq!(app.client.get(app.url("/api/docs/nothing.js")).send().await.unwrap().status(), 404);
}
