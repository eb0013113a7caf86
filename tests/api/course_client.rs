//! The original course's Next.js client (`client/` of StephenGrider/ticketing, the last commit
//! that changed it: e40bebfc43e4cfc31d9c8a082b31b1345d8ca902) is a user of this API. Every
//! request it sends is sent here shaped exactly as it sends it, and every status and field its
//! pages read is checked:
//! - from the browser, `hooks/use-request.js`: axios 0.19 `post(url, body)` with a JSON object
//!   (`Content-Type: application/json;charset=utf-8`, `Accept: application/json, text/plain,
//!   */*`) and the browser's own cookie, origin and fetch metadata; on an error it reads
//!   `response.data.errors[].message`;
//! - from the Next.js server, `api/build-client.js`: axios `get(path)` with `headers:
//!   req.headers`, the whole header set of the browser's page request as ingress-nginx passed it
//!   on (`Host`, `Cookie`, the page's `Accept: text/html...`, `X-Forwarded-*`), which replaces
//!   axios' own `Accept`.
//!
//! The pages: `_app.js` (`currentUser` on every page), `index.js` (the listing's `id`, `title`,
//! `price`), `auth/signup.js`, `auth/signin.js`, `auth/signout.js` (posts `{}`),
//! `tickets/new.js` (the price as the text of its field, `toFixed(2)` once it loses focus),
//! `tickets/[ticketId].js` (orders `{ticketId}`, then opens the order's `id`),
//! `orders/[orderId].js` (`expiresAt`, `ticket.price * 100` for Stripe Checkout, pays
//! `{orderId, token}` with Checkout's token id), `orders/index.js` (`ticket.title`, `status`).

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, SET_COOKIE};
use serde_json::Value;
use ticketing_tests::{TestApp, json, spawn_app};

/// The site as the course deploys it behind ingress-nginx.
const SITE: &str = "ticketing.dev";
const BROWSER: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
const PASSWORD: &str = "correct horse battery";

/// One person's browser: its cookie jar, as the course's pages use it.
struct Browser<'a> {
    app: &'a TestApp,
    /// The `session` cookie the API set, as `name=value`, until it is cleared.
    session: Option<String>,
}

/// An answer, as axios hands it to a page.
struct Answer {
    status: StatusCode,
    data: Value,
}

impl Answer {
    /// What `use-request.js` renders on an error: `err.response.data.errors.map(e => e.message)`.
    fn error_messages(&self) -> Vec<String> {
        assert!(self.status.is_client_error(), "an error answer, got {} {}", self.status, self.data);
        let errors = self.data["errors"].as_array().unwrap_or_else(|| panic!("`errors` is an array: {}", self.data));
        assert!(!errors.is_empty(), "at least one error: {}", self.data);
        errors
            .iter()
            .map(|error| error["message"].as_str().expect("each error has a message string").to_owned())
            .inspect(|message| assert!(!message.is_empty()))
            .collect()
    }

    /// What a page's `onSuccess` gets: the data of a 2xx answer.
    fn success(self) -> Value {
        assert!(self.status.is_success(), "a success, got {} {}", self.status, self.data);
        self.data
    }
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self { app, session: None }
    }

    /// A browser whose person signed up (and so is signed in).
    async fn signed_up(app: &'a TestApp, email: &str) -> Self {
        let mut browser = Self::new(app);
        browser.sign_up(email).await;
        browser
    }

    fn cookie(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// `useRequest({ url, method: 'post', body }).doRequest()`: axios from the page.
    async fn post(&mut self, path: &str, body: Value) -> Answer {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("accept", "application/json, text/plain, */*"),
            ("content-type", "application/json;charset=utf-8"),
            ("origin", "https://ticketing.dev"),
            ("referer", "https://ticketing.dev/"),
            ("user-agent", BROWSER),
            ("accept-language", "en-GB,en;q=0.9"),
            ("accept-encoding", "gzip, deflate, br"),
            ("sec-fetch-site", "same-origin"),
            ("sec-fetch-mode", "cors"),
            ("sec-fetch-dest", "empty"),
        ] {
            headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        if let Some(cookie) = self.cookie() {
            headers.insert("cookie", HeaderValue::from_str(cookie).unwrap());
        }
        // axios writes a plain object with JSON.stringify: no spaces.
        let request = self.app.client.post(self.app.url(path)).headers(headers).body(body.to_string());
        self.answer(request).await
    }

    /// `buildClient(ctx).get(path)` in a page's `getInitialProps`, on the Next.js server: the
    /// browser's page request's headers, forwarded whole.
    async fn server_get(&mut self, page: &str, path: &str) -> Answer {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("host", SITE),
            ("x-request-id", "5b2c8d0e9f1a4c7d8e6f5a4b3c2d1e0f"),
            ("x-real-ip", "192.0.2.10"),
            ("x-forwarded-for", "192.0.2.10"),
            ("x-forwarded-host", SITE),
            ("x-forwarded-port", "443"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-scheme", "https"),
            ("x-scheme", "https"),
            ("cache-control", "max-age=0"),
            ("upgrade-insecure-requests", "1"),
            ("user-agent", BROWSER),
            ("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"),
            ("sec-fetch-site", "same-origin"),
            ("sec-fetch-mode", "navigate"),
            ("sec-fetch-user", "?1"),
            ("sec-fetch-dest", "document"),
            ("accept-encoding", "gzip, deflate, br"),
            ("accept-language", "en-GB,en;q=0.9"),
        ] {
            headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        headers.insert("referer", HeaderValue::from_str(&format!("https://{SITE}{page}")).unwrap());
        if let Some(cookie) = self.cookie() {
            headers.insert("cookie", HeaderValue::from_str(cookie).unwrap());
        }
        let request = self.app.client.get(self.app.url(path)).headers(headers);
        self.answer(request).await
    }

    async fn answer(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("the API answers");
        let status = response.status();
        for set_cookie in response.headers().get_all(SET_COOKIE) {
            self.store(set_cookie.to_str().expect("a readable Set-Cookie"));
        }
        if let Some(encoding) = response.headers().get("content-encoding") {
            // Node's axios 0.19 inflates gzip and deflate only.
            assert!(["gzip", "deflate", "identity"].contains(&encoding.to_str().unwrap()), "{encoding:?}");
        }
        let text = response.text().await.expect("a body");
        let data = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: a JSON body, got {text:?}"))
        };
        Answer { status, data }
    }

    /// The browser's cookie jar: a `session` cookie is kept, and removed by `Max-Age=0`.
    fn store(&mut self, set_cookie: &str) {
        let mut parts = set_cookie.split(';').map(str::trim);
        let pair = parts.next().unwrap_or_default();
        if !pair.starts_with("session=") {
            return;
        }
        let cleared = pair == "session=" || parts.any(|part| part.eq_ignore_ascii_case("Max-Age=0"));
        self.session = if cleared { None } else { Some(pair.to_owned()) };
    }

    /// `_app.js`: every page first asks who is signed in, and the header shows links by it.
    async fn current_user(&mut self, page: &str) -> Value {
        let data = self.server_get(page, "/api/users/currentuser").await.success();
        assert!(data.as_object().is_some_and(|body| body.contains_key("currentUser")), "{data}");
        data["currentUser"].clone()
    }

    /// `auth/signup.js` then `Router.push('/')`.
    async fn sign_up(&mut self, email: &str) -> Value {
        self.post("/api/users/signup", json!({ "email": email, "password": PASSWORD })).await.success();
        let me = self.current_user("/").await;
        assert_eq!(me["email"], email, "{me}");
        me
    }

    /// `tickets/new.js`: `{title, price}`, the price the text of its field.
    async fn sell(&mut self, title: &str, price: &str) -> Answer {
        self.post("/api/tickets", json!({ "title": title, "price": price })).await
    }

    /// `index.js`: the listing.
    async fn landing(&mut self) -> Vec<Value> {
        self.current_user("/").await;
        let data = self.server_get("/", "/api/tickets").await.success();
        let tickets = data.as_array().unwrap_or_else(|| panic!("`tickets.map`: an array, got {data}")).clone();
        for ticket in &tickets {
            assert!(ticket["id"].is_string() && ticket["title"].is_string(), "{ticket}");
            assert!(ticket["price"].is_number(), "{ticket}");
        }
        tickets
    }

    /// `tickets/[ticketId].js`.
    async fn ticket_page(&mut self, id: &str) -> Value {
        let page = format!("/tickets/{id}");
        self.current_user(&page).await;
        self.server_get(&page, &format!("/api/tickets/{id}")).await.success()
    }

    /// The ticket page's "Purchase": `{ticketId}`, then `Router.push('/orders/' + order.id)`.
    async fn purchase(&mut self, ticket_id: &str) -> Value {
        let order = self.post("/api/orders", json!({ "ticketId": ticket_id })).await.success();
        let id = order["id"].as_str().expect("the order's id").to_owned();
        self.order_page(&id).await
    }

    /// `orders/[orderId].js`: the time left from `expiresAt`, and Checkout's amount.
    async fn order_page(&mut self, id: &str) -> Value {
        let page = format!("/orders/{id}");
        let me = self.current_user(&page).await;
        assert!(me["email"].is_string(), "Checkout's `email={{currentUser.email}}`: {me}");
        let order = self.server_get(&page, &format!("/api/orders/{id}")).await.success();
        assert_eq!(order["id"], id);
        let expires = order["expiresAt"].as_str().expect("expiresAt");
        let expires = chrono::DateTime::parse_from_rfc3339(expires).expect("`new Date(order.expiresAt)`");
        assert!(expires > chrono::Utc::now(), "time left to pay");
        assert!(order["ticket"]["price"].is_number(), "`order.ticket.price * 100`: {order}");
        order
    }

    /// `orders/index.js`: `{order.ticket.title} - {order.status}` for each order.
    async fn my_orders(&mut self) -> Vec<(String, String)> {
        self.current_user("/orders").await;
        let data = self.server_get("/orders", "/api/orders").await.success();
        let orders = data.as_array().unwrap_or_else(|| panic!("`orders.map`: an array, got {data}"));
        orders
            .iter()
            .map(|order| {
                assert!(order["id"].is_string(), "{order}");
                (order["ticket"]["title"].as_str().unwrap().to_owned(), order["status"].as_str().unwrap().to_owned())
            })
            .collect()
    }
}

/// A seller, signed up, who listed "Concert" at `price` (the text of the form's field).
async fn listed<'a>(app: &'a TestApp, price: &str) -> (Browser<'a>, Value) {
    let mut seller = Browser::signed_up(app, "seller@example.com").await;
    let ticket = seller.sell("Concert", price).await.success();
    (seller, ticket)
}

/// Checkout's amount in cents, as the order page computes it: `order.ticket.price * 100`.
fn checkout_amount(order: &Value) -> i64 {
    (order["ticket"]["price"].as_f64().unwrap() * 100.0).round() as i64
}

#[tokio::test]
async fn a_visitor_sees_the_landing_page_signed_out() {
    let app = spawn_app().await;
    let mut visitor = Browser::new(&app);
    assert_eq!(visitor.current_user("/").await, Value::Null, "the header offers Sign Up and Sign In");
    assert_eq!(visitor.landing().await, Vec::<Value>::new());
}

#[tokio::test]
async fn signing_up_signs_in_and_the_header_shows_it() {
    let app = spawn_app().await;
    let mut ada = Browser::new(&app);
    let me = ada.sign_up("ada@example.com").await;
    assert!(me["id"].is_string(), "{me}");
}

#[tokio::test]
async fn sign_up_errors_are_listed_by_message() {
    let app = spawn_app().await;
    let mut ada = Browser::new(&app);
    let bad = ada.post("/api/users/signup", json!({ "email": "not-an-email", "password": "short" })).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.error_messages().len(), 2, "one per field: {}", bad.data);
    let empty = ada.post("/api/users/signup", json!({ "email": "", "password": "" })).await;
    assert_eq!(empty.error_messages().len(), 2, "the form's untouched fields: {}", empty.data);

    ada.sign_up("ada@example.com").await;
    let mut someone = Browser::new(&app);
    let taken = someone.post("/api/users/signup", json!({ "email": "ada@example.com", "password": PASSWORD })).await;
    assert!(!taken.error_messages().is_empty());
    assert_eq!(someone.current_user("/auth/signup").await, Value::Null);
}

#[tokio::test]
async fn signing_in_and_its_errors() {
    let app = spawn_app().await;
    Browser::new(&app).sign_up("ada@example.com").await;

    let mut ada = Browser::new(&app);
    let wrong =
        ada.post("/api/users/signin", json!({ "email": "ada@example.com", "password": "wrong password" })).await;
    assert!(!wrong.error_messages().is_empty());
    assert_eq!(ada.current_user("/auth/signin").await, Value::Null);

    ada.post("/api/users/signin", json!({ "email": "ada@example.com", "password": PASSWORD })).await.success();
    assert_eq!(ada.current_user("/").await["email"], "ada@example.com");
}

#[tokio::test]
async fn signing_out_posts_an_empty_object_and_the_header_shows_it() {
    let app = spawn_app().await;
    let mut ada = Browser::signed_up(&app, "ada@example.com").await;
    ada.post("/api/users/signout", json!({})).await.success();
    assert_eq!(ada.session, None, "the session cookie is cleared");
    assert_eq!(ada.current_user("/").await, Value::Null);
}

#[tokio::test]
async fn a_ticket_is_sold_with_its_price_as_the_text_of_the_form_field() {
    let app = spawn_app().await;
    let mut seller = Browser::signed_up(&app, "seller@example.com").await;
    // Once the field loses focus its text is `toFixed(2)`; a submit with the focus still in it
    // sends what was typed.
    for (title, price, shown) in [("Concert", "20.00", 20.0), ("Match", "20", 20.0), ("Play", "7.5", 7.5)] {
        let ticket = seller.sell(title, price).await.success();
        assert_eq!((ticket["title"].as_str(), ticket["price"].as_f64()), (Some(title), Some(shown)), "{ticket}");
        assert!(ticket["id"].is_string());
    }
    let listed: Vec<(String, f64)> = seller
        .landing()
        .await
        .iter()
        .map(|ticket| (ticket["title"].as_str().unwrap().to_owned(), ticket["price"].as_f64().unwrap()))
        .collect();
    assert_eq!(listed.len(), 3, "{listed:?}");
    for expected in [("Concert", 20.0), ("Match", 20.0), ("Play", 7.5)] {
        assert!(listed.iter().any(|(title, price)| (title.as_str(), *price) == expected), "{expected:?} in {listed:?}");
    }
}

#[tokio::test]
async fn a_ticket_form_with_bad_fields_lists_every_message() {
    let app = spawn_app().await;
    let mut seller = Browser::signed_up(&app, "seller@example.com").await;
    // Untouched: both fields are ''. `parseFloat('-5').toFixed(2)` is '-5.00'; text that is no
    // number stays as typed.
    let empty = seller.sell("", "").await;
    assert_eq!((empty.status.as_u16(), empty.error_messages().len()), (400, 2), "{}", empty.data);
    for price in ["-5.00", "0.00", "ten", "1000000.00", "19.999"] {
        let bad = seller.sell("Concert", price).await;
        assert_eq!((bad.status.as_u16(), bad.error_messages().len()), (400, 1), "{price}: {}", bad.data);
    }
    assert_eq!(seller.landing().await, Vec::<Value>::new(), "nothing was listed");
}

#[tokio::test]
async fn selling_needs_a_signed_in_user() {
    let app = spawn_app().await;
    let mut visitor = Browser::new(&app);
    let refused = visitor.sell("Concert", "20.00").await;
    assert_eq!(refused.status, 401);
    assert!(!refused.error_messages().is_empty());
}

#[tokio::test]
async fn a_buyer_opens_a_ticket_orders_it_pays_and_sees_the_order_complete() {
    let app = spawn_app().await;
    let (_, ticket) = listed(&app, "20.00").await;
    let id = ticket["id"].as_str().unwrap();

    let mut buyer = Browser::signed_up(&app, "buyer@example.com").await;
    let page = buyer.ticket_page(id).await;
    assert_eq!(
        (page["id"].as_str(), page["title"].as_str(), page["price"].as_f64()),
        (Some(id), Some("Concert"), Some(20.0))
    );

    let order = buyer.purchase(id).await;
    assert_eq!(checkout_amount(&order), 2000, "Checkout charges 20.00");
    let order_id = order["id"].as_str().unwrap();
    // Checkout's `token={({ id }) => doRequest({ token: id })}`: a card token's id.
    let paid = buyer.post("/api/payments", json!({ "orderId": order_id, "token": "tok_visa" })).await;
    paid.success();
    assert_eq!(buyer.my_orders().await, vec![("Concert".to_owned(), "complete".to_owned())]);
}

#[tokio::test]
async fn a_declined_card_shows_its_message_and_another_card_pays() {
    let app = spawn_app().await;
    let (_, ticket) = listed(&app, "35.50").await;

    let mut buyer = Browser::signed_up(&app, "buyer@example.com").await;
    let order = buyer.purchase(ticket["id"].as_str().unwrap()).await;
    assert_eq!(checkout_amount(&order), 3550);
    let order_id = order["id"].as_str().unwrap();
    let declined = buyer.post("/api/payments", json!({ "orderId": order_id, "token": "tok_chargeDeclined" })).await;
    assert!(!declined.error_messages().is_empty());
    assert_eq!(buyer.order_page(order_id).await["id"], order_id, "the order page still offers to pay");
    buyer.post("/api/payments", json!({ "orderId": order_id, "token": "tok_visa" })).await.success();
    assert_eq!(buyer.my_orders().await, vec![("Concert".to_owned(), "complete".to_owned())]);
}

#[tokio::test]
async fn a_reserved_ticket_cannot_be_purchased_again_and_says_why() {
    let app = spawn_app().await;
    let (_, ticket) = listed(&app, "20.00").await;
    let id = ticket["id"].as_str().unwrap();

    let mut first = Browser::signed_up(&app, "first@example.com").await;
    first.purchase(id).await;
    let mut second = Browser::signed_up(&app, "second@example.com").await;
    second.ticket_page(id).await;
    let refused = second.post("/api/orders", json!({ "ticketId": id })).await;
    assert!(!refused.error_messages().is_empty());
    assert_eq!(second.my_orders().await, Vec::<(String, String)>::new());
}

#[tokio::test]
async fn pages_of_other_people_and_signed_out_visitors_get_error_messages() {
    let app = spawn_app().await;
    let (mut seller, ticket) = listed(&app, "20.00").await;
    let mut buyer = Browser::signed_up(&app, "buyer@example.com").await;
    let order = buyer.purchase(ticket["id"].as_str().unwrap()).await;
    let path = format!("/api/orders/{}", order["id"].as_str().unwrap());

    let mut visitor = Browser::new(&app);
    let anonymous = visitor.server_get("/orders", &path).await;
    assert_eq!(anonymous.status, 401);
    assert!(!anonymous.error_messages().is_empty());
    let theirs = seller.server_get("/orders", &path).await;
    assert!(!theirs.error_messages().is_empty(), "not the seller's order: {}", theirs.status);
    let pay = visitor.post("/api/payments", json!({ "orderId": order["id"], "token": "tok_visa" })).await;
    assert_eq!(pay.status, 401);
}

#[tokio::test]
async fn an_unknown_ticket_page_is_an_error_with_a_message() {
    let app = spawn_app().await;
    let mut visitor = Browser::new(&app);
    let missing = visitor.server_get("/tickets/x", "/api/tickets/01KAAAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!(missing.status, 404);
    assert!(!missing.error_messages().is_empty());
}

#[tokio::test]
async fn a_session_is_read_from_the_cookie_the_next_server_forwards() {
    let app = spawn_app().await;
    let mut ada = Browser::signed_up(&app, "ada@example.com").await;
    let cookie = ada.session.clone().expect("a session");
    // The browser's Cookie header carries other sites' cookies too.
    ada.session = Some(format!("_ga=GA1.1.2; {cookie}; theme=dark"));
    assert_eq!(ada.current_user("/").await["email"], "ada@example.com");
}
