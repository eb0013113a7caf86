//! The API's contract: an OpenAPI 3.1 document made from the request, response and error
//! types the handlers use (their schemas derive from the types themselves), with every
//! route of `template.yaml`, every status each can answer, the session cookie and Bearer
//! schemes, pagination, the webhook's signature header, and links between operations (sign
//! up, list a ticket, order it, pay for it, list the payments) that a fuzzer can follow.
//! `openapi.json` at the repository's root is this document; a test keeps the two equal.

#![allow(dead_code)] // The operations below exist for their attributes.

mod bodies;

use std::collections::BTreeMap;

use domain::entities::{
    AccountView, Email, Notification, OnboardingLink, OrderPageView, OrderView, PaymentResultView, PaymentView,
    PayoutView, ReservationState, TicketView,
};
use domain::money::Money;
use domain::ports::PresignedUpload;
use edge::auth::{CurrentUserBody, PublicUser};
use edge::client_config::ClientConfig;
use edge::http::{Empty, ErrorBody, Received};
use edge::requests::{OrderRequest, PaymentRequest, ProblemReport};
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::AnyOfBuilder;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    Content, Object, ObjectBuilder, OpenApi as Document, Ref, RefOr, Required, ResponseBuilder, Schema, Type,
};
use utoipa::{IntoParams, Modify, OpenApi};

use crate::bodies::{
    FileUploadBody, NewAccount, ResetConfirmation, ResetRequest, SignIn, SignOut, TicketDraftBody, Verification,
};

/// The document, as the local runner serves it at `GET /api/openapi.json`.
pub fn document() -> Document {
    ApiDoc::openapi()
}

/// The document as committed: pretty JSON, with a final newline.
pub fn json() -> String {
    let mut json = document().to_pretty_json().expect("the document serializes");
    json.push('\n');
    json
}

/// The operations of the document: `(method, path)`, as `template.yaml` routes them.
pub fn operations() -> Vec<(String, String)> {
    let document = document();
    let mut operations = Vec::new();
    for (path, item) in &document.paths.paths {
        let methods = [
            ("GET", &item.get),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
            ("PATCH", &item.patch),
        ];
        for (method, operation) in methods {
            if operation.is_some() {
                operations.push((method.to_owned(), path.clone()));
            }
        }
    }
    operations
}

/// `?limit=&cursor=`: a page of a listing.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct Page {
    /// How many items, 20 by default.
    #[param(minimum = 1, maximum = 100, example = 20)]
    limit: Option<u32>,
    /// The id of the last item of the page before: what the `Link` header's next address
    /// carries.
    cursor: Option<String>,
}

/// `?userId=`: one seller's tickets, in every state.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
struct Seller {
    /// The seller's user id (any id longer than 64 characters is 400).
    #[param(max_length = 64)]
    user_id: Option<String>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ticketing",
        version = "1.0.0",
        description = "A ticket marketplace: sign up, list tickets for sale, reserve one by ordering it \
(the reservation lapses after a set time), and pay with Stripe.\n\n\
Every error is `{\"errors\": [{\"message\", \"field\"?}]}`. Request bodies are `application/json`, \
at most 64 KiB (415, 413 otherwise). Prices are decimal dollars with at most two decimals. Times are \
RFC 3339, UTC. Ids are opaque. Lists come a page at a time, newest first; the next page's address is \
in the `Link` header. Every response carries `Cache-Control: no-store` (but `getConfig`'s 200, \
the same for everyone: `public, max-age=300`) and `X-Content-Type-Options: nosniff`.",
        license(name = "MIT", identifier = "MIT")
    ),
    paths(
        sign_up, sign_in, sign_out, current_user, request_password_reset, confirm_password_reset, verify_email,
        resend_verification,
        create_ticket, list_tickets, get_ticket, update_ticket, delete_ticket, upload_ticket_file,
        download_ticket_file,
        create_order, list_orders, get_order, cancel_order, report_problem, download_order_ticket, get_expiration,
        list_notifications,
        create_payment, list_payments, stripe_webhook,
        list_payouts, get_payout_account, link_payout_account, stripe_connect_webhook,
        get_config,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Conventions),
    tags(
        (name = "users", description = "Accounts and sessions"),
        (name = "tickets", description = "Tickets for sale"),
        (name = "orders", description = "Reservations: an order holds its ticket until it lapses or is paid"),
        (name = "notifications", description = "What a user is told about their orders"),
        (name = "payments", description = "Paying for an order with Stripe"),
        (name = "payouts", description = "What sellers are paid for their sales, and when"),
        (name = "client", description = "What a browser client needs to know"),
    ),
)]
struct ApiDoc;

/// What every operation shares: the security schemes, and the headers every response
/// carries.
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "session",
                "The session a sign-up or sign-in sets (HttpOnly, Secure, SameSite=Lax).",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("The session token itself, for clients without cookies."))
                    .build(),
            ),
        );
        // An email as sent follows the parser's own pattern (a literal in the schema attribute
        // would be a second copy of it).
        for body in ["NewAccount", "SignIn", "ResetRequest"] {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(body)
                && let Some(RefOr::T(Schema::Object(email))) = object.properties.get_mut("email")
            {
                email.pattern = Some(Email::PATTERN.to_owned());
            }
        }
        limits(&mut components.schemas);
        // Every id this service makes is a ULID in its canonical form: one pattern, the
        // parser's (`ids::ULID_PATTERN`).
        for id in ["OrderId", "PaymentId", "TicketId"] {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(id) {
                object.pattern = Some(domain::ids::ULID_PATTERN.to_owned());
            }
        }
        for (body, field) in [("OrderRequest", "ticketId"), ("PaymentRequest", "orderId")] {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(body)
                && let Some(RefOr::T(Schema::Object(id))) = object.properties.get_mut(field)
            {
                id.pattern = Some(domain::ids::ULID_PATTERN.to_owned());
            }
        }
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut("TicketDraftBody") {
            object.properties.insert("price".to_owned(), price().into());
        }
        for item in openapi.paths.paths.values_mut() {
            for operation in [&mut item.get, &mut item.put, &mut item.post, &mut item.delete].into_iter().flatten() {
                route_defaults(operation);
                every_response_header(operation);
            }
        }
    }
}

/// The request bodies' limits, and the descriptions that state them, from the constants the
/// domain's parsers apply: one copy of each number.
fn limits(schemas: &mut BTreeMap<String, RefOr<Schema>>) {
    use domain::entities::{FileDraft, Password, TicketDraft};
    let mut field = |body: &str, name: &str, set: &dyn Fn(&mut Object)| {
        if let Some(RefOr::T(Schema::Object(object))) = schemas.get_mut(body)
            && let Some(RefOr::T(Schema::Object(property))) = object.properties.get_mut(name)
        {
            set(property);
        }
    };
    let email = |email: &mut Object| email.max_length = Some(Email::MAX_LEN);
    field("NewAccount", "email", &|property| {
        email(property);
        property.description = Some(format!("Trimmed and lower-cased; at most {} characters.", Email::MAX_LEN));
    });
    field("SignIn", "email", &email);
    field("ResetRequest", "email", &email);
    for body in ["NewAccount", "ResetConfirmation"] {
        field(body, "password", &|property| {
            (property.min_length, property.max_length) = (Some(Password::MIN_CHARS), Some(Password::MAX_CHARS));
            property.description = Some(format!("{} to {} characters.", Password::MIN_CHARS, Password::MAX_CHARS));
        });
    }
    field("TicketDraftBody", "title", &|property| {
        property.pattern = Some(trimmed(TicketDraft::MAX_TITLE, true));
        property.description =
            Some(format!("1 to {} characters once the spaces around them are trimmed.", TicketDraft::MAX_TITLE));
    });
    field("TicketDraftBody", "venue", &|property| {
        property.pattern = Some(trimmed(TicketDraft::MAX_VENUE, false));
        property.description = Some(format!(
            "Up to {} characters once the spaces around them are trimmed; blank is no venue.",
            TicketDraft::MAX_VENUE
        ));
    });
    field("FileUploadBody", "fileName", &|property| {
        (property.min_length, property.max_length) = (Some(1), Some(FileDraft::MAX_NAME));
        property.description = Some(format!(
            "The name it is saved under when downloaded: 1 to {} characters, no control\ncharacters; folders \
             before a `/` or `\\` are dropped, and the spaces around it.",
            FileDraft::MAX_NAME
        ));
    });
    field("FileUploadBody", "size", &|property| {
        (property.minimum, property.maximum) = (Some(1.into()), Some((FileDraft::MAX_SIZE as usize).into()));
        property.description = Some(format!(
            "The exact size in bytes, at most {} MB: the upload URL accepts this size only.",
            FileDraft::MAX_SIZE / (1024 * 1024)
        ));
    });
    field("ProblemReport", "message", &|property| {
        property.pattern = Some(trimmed(domain::payouts::PROBLEM_MESSAGE_MAX, true));
    });
}

/// Up to `max` characters once spaces, tabs and line breaks around them are trimmed; at
/// least one when `required`.
fn trimmed(max: usize, required: bool) -> String {
    let text = format!(r"[^ \t\n\r]([\s\S]{{0,{}}}[^ \t\n\r])?", max - 2);
    let text = if required { text } else { format!("({text})?") };
    format!(r"^[ \t\n\r]*{text}[ \t\n\r]*$")
}

/// A ticket's price as sent: a JSON number or a decimal string, the same amounts either way,
/// each form stated exactly (the string's pattern is the parser's own).
fn price() -> Schema {
    let decimal = |amount: Money| amount.to_string().parse::<f64>().expect("a decimal");
    let cent = decimal(Money::from_minor(1));
    let number = ObjectBuilder::new()
        .schema_type(Type::Number)
        .minimum(Some(cent))
        .maximum(Some(decimal(Money::MAX)))
        .multiple_of(Some(cent))
        .description(Some(
            "At most two decimals, read exactly as written whatever the notation (`19.99`, `20`, `1.999e1`). \
             A validator that divides in binary floating point may misjudge `multipleOf: 0.01` on some cents \
             (0.29): such a client can send the string form instead.",
        ))
        .examples([serde_json::json!(19.99)]);
    let string = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(Money::DECIMAL_STRING_PATTERN))
        .description(Some(
            "The same amounts in plain decimal digits, as a form's text field sends them (`\"20.00\"`): \
             no sign, exponent, spaces or leading zeros.",
        ))
        .examples([serde_json::json!("19.99")]);
    AnyOfBuilder::new()
        .item(number)
        .item(string)
        .description(Some(
            "A decimal amount in dollars: positive, at most two decimals, at most 999,999.99 (Stripe's \
             highest charge), as a JSON number or a decimal string.",
        ))
        .into()
}

/// What every route shares, stated here once: a route needs a session (cookie or Bearer)
/// unless it says otherwise; it answers 401 where it needs one, 413 and 415 where it reads a body, and 400 for an id in the path longer than any
/// id where the route states no 400 of its own. A route that says more keeps its own words.
fn route_defaults(operation: &mut Operation) {
    operation.security.get_or_insert_with(|| {
        ["session", "bearer"].map(|scheme| SecurityRequirement::new(scheme, Vec::<String>::new())).into()
    });
    let needs_session = operation
        .security
        .as_ref()
        .is_some_and(|ways| !ways.is_empty() && !ways.contains(&SecurityRequirement::default()));
    let reads_body = operation.request_body.is_some();
    let path_id = operation
        .parameters
        .iter()
        .flatten()
        .any(|parameter| matches!(parameter, RefOr::T(p) if p.parameter_in == ParameterIn::Path));
    for (applies, status, description) in [
        (needs_session, "401", "`Not authorized`"),
        (reads_body, "413", "A body over 64 KiB"),
        (reads_body, "415", "A body that is not JSON"),
        (path_id, "400", "An id longer than any id"),
    ] {
        if applies {
            operation.responses.responses.entry(status.to_owned()).or_insert_with(|| {
                ResponseBuilder::new()
                    .description(description)
                    .content("application/json", Content::new(Some(Ref::from_schema_name("ErrorBody"))))
                    .build()
                    .into()
            });
        }
    }
}

fn every_response_header(operation: &mut Operation) {
    let string = |value: &str, description: &str| {
        utoipa::openapi::header::HeaderBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(Type::String).enum_values(Some([value]))))
            .description(Some(description))
            .build()
            .into()
    };
    // The client's configuration, the same for everyone, is kept five minutes (CloudFront
    // answers it from its edge).
    let shared = operation.operation_id.as_deref() == Some("getConfig");
    for (status, response) in &mut operation.responses.responses {
        if let RefOr::T(response) = response {
            let cache = if shared && status == "200" {
                let kept = format!("public, max-age={}", ClientConfig::KEPT_SECONDS);
                string(&kept, "Kept five minutes by browsers and CloudFront: the same for everyone.")
            } else {
                string("no-store", "Never cached.")
            };
            response.headers.insert("Cache-Control".into(), cache);
            response.headers.insert("X-Content-Type-Options".into(), string("nosniff", "Never sniffed."));
        }
    }
    // The path's id, when there is one, is the ULID of an item; so are a page's cursor and
    // the order a query names.
    for parameter in operation.parameters.iter_mut().flatten() {
        if let RefOr::T(query) = parameter
            && query.parameter_in == ParameterIn::Query
            && ["cursor", "orderId"].contains(&query.name.as_str())
            && let Some(RefOr::T(Schema::Object(id))) = &mut query.schema
        {
            id.pattern = Some(domain::ids::ULID_PATTERN.to_owned());
        }
        if let RefOr::T(path) = parameter
            && path.parameter_in == ParameterIn::Path
        {
            *path = ParameterBuilder::from(path.clone())
                .required(Required::True)
                .schema(Some(ObjectBuilder::new().schema_type(Type::String).pattern(Some(domain::ids::ULID_PATTERN))))
                .build();
        }
    }
}

// --- users ---------------------------------------------------------------------------

#[utoipa::path(
    post, path = "/api/users/signup", operation_id = "signUp", tag = "users",
    summary = "Create an account and sign in",
    request_body(content = NewAccount, content_type = "application/json"),
    responses(
        (status = 201, description = "The account; the session cookie is set.", body = PublicUser,
            headers(("Set-Cookie" = String, description = "`session=<token>; HttpOnly; Secure; SameSite=Lax`")),
            links(("listTickets" = (operation_id = "listTickets", description = "What is for sale")))),
        (status = 400, description = "One entry per bad field", body = ErrorBody),
        (status = 409, description = "`Email in use`", body = ErrorBody),
        (status = 429, description = "The client's address made its sign-ups of the window (`SIGN_UPS_PER_ADDRESS`, 10 an hour)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the window has passed"))),
    ),
    security(()),
)]
fn sign_up() {}

#[utoipa::path(
    post, path = "/api/users/signin", operation_id = "signIn", tag = "users",
    summary = "Sign in",
    description = "After five failed sign-ins for an email from the client's address within fifteen \
minutes (or fifty from anywhere), every attempt from that address (from anywhere) answers 429 until \
the window has passed, whether or not the email has an account.",
    request_body(content = SignIn, content_type = "application/json"),
    responses(
        (status = 200, description = "The account; the session cookie is set.", body = PublicUser,
            headers(("Set-Cookie" = String, description = "`session=<token>; HttpOnly; Secure; SameSite=Lax`"))),
        (status = 400, description = "A malformed body", body = ErrorBody),
        (status = 401, description = "`Invalid credentials`: unknown email and wrong password alike", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins for this email from the client's address (`SIGN_IN_FAILURES_PER_ADDRESS`, 5), or from anywhere (`SIGN_IN_FAILURES_PER_EMAIL`, 50), within the window (`SIGN_IN_WINDOW_SECONDS`, 900)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the window has passed"))),
    ),
    security(()),
)]
fn sign_in() {}

#[utoipa::path(
    post, path = "/api/users/signout", operation_id = "signOut", tag = "users",
    summary = "Sign out",
    description = "Takes a JSON object (`{}`), as every other write does: a cross-site form cannot sign anyone out. \
        `{\"everywhere\": true}` (signed in) also ends every session of the account issued so far: \
        payments and payouts refuse them at once (401 `Session ended; sign in again`), the other routes \
        when they expire.",
    request_body(content = SignOut, content_type = "application/json"),
    responses(
        (status = 200, description = "The session cookie is cleared.", body = Empty,
            headers(("Set-Cookie" = String, description = "`session=; Max-Age=0`"))),
        (status = 400, description = "A body that is not a JSON object, or `everywhere` not a boolean", body = ErrorBody),
        (status = 401, description = "`everywhere` without a session that still stands", body = ErrorBody),
        (status = 415, description = "A body that is not JSON: nobody is signed out", body = ErrorBody),
    ),
    security((), ("session" = []), ("bearer" = [])),
)]
fn sign_out() {}

#[utoipa::path(
    get, path = "/api/users/currentuser", operation_id = "currentUser", tag = "users",
    summary = "Who is signed in",
    responses(
        (status = 200, description = "The session's user, or `null` without a valid session.", body = CurrentUserBody),
    ),
    security((), ("session" = []), ("bearer" = [])),
)]
fn current_user() {}

#[utoipa::path(
    post, path = "/api/users/password-reset", operation_id = "requestPasswordReset", tag = "users",
    summary = "Ask for a password reset",
    description = "Mails the account of `email`, if there is one, a link to the web client's reset page that \
works once, within 30 minutes. The answer (and the work behind it) is the same whether or not the \
address has an account.",
    request_body(content = ResetRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "Asked; the mail follows if the address has an account", body = Empty),
        (status = 400, description = "No `email`, or not an address", body = ErrorBody),
        (status = 429, description = "Five resets asked for this address, or twenty from the client's address, within the hour", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the window has passed"))),
    ),
    security(()),
)]
fn request_password_reset() {}

#[utoipa::path(
    post, path = "/api/users/password-reset/confirm", operation_id = "confirmPasswordReset", tag = "users",
    summary = "Set a new password with a reset's token",
    description = "Sets the password (sign-up's rules) of the account the token is for, once; every session \
issued before stops standing (payments and payouts refuse it at once, the other routes when it expires). \
Sign in with the new password afterwards.",
    request_body(content = ResetConfirmation, content_type = "application/json"),
    responses(
        (status = 204, description = "The password is set"),
        (status = 400, description = "A token that is unknown, used, replaced by a newer one or expired (`token`: one message for all), or a password that breaks the rules", body = ErrorBody),
    ),
    security(()),
)]
fn confirm_password_reset() {}

#[utoipa::path(
    post, path = "/api/users/verify-email", operation_id = "verifyEmail", tag = "users",
    summary = "Verify an account's e-mail address with a verification's token",
    description = "Marks the address of the account the token is for verified, once. Sign-up mails the link \
(to the web client's verification page, working for 24 hours); `resendVerification` mails another, which \
replaces it. No session needed: the link may be opened anywhere. Only connecting a payout account asks for \
a verified address.",
    request_body(content = Verification, content_type = "application/json"),
    responses(
        (status = 204, description = "The address is verified"),
        (status = 400, description = "A token that is unknown, used, replaced by a newer one or expired (`token`: one message for all)", body = ErrorBody),
    ),
    security(()),
)]
fn verify_email() {}

#[utoipa::path(
    post, path = "/api/users/verify-email/resend", operation_id = "resendVerification", tag = "users",
    summary = "Ask for another verification mail",
    description = "Mails the signed-in account's address another verification link; it replaces the earlier ones.",
    request_body(content = Empty, content_type = "application/json"),
    responses(
        (status = 202, description = "Asked; the mail follows", body = Empty),
        (status = 400, description = "A body that is not a JSON object", body = ErrorBody),
        (status = 409, description = "The address is verified already", body = ErrorBody),
        (status = 429, description = "Five asked for within the hour", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the window has passed"))),
    ),
)]
fn resend_verification() {}

// --- tickets -------------------------------------------------------------------------

#[utoipa::path(
    post, path = "/api/tickets", operation_id = "createTicket", tag = "tickets",
    summary = "List a ticket for sale",
    request_body(content = TicketDraftBody, content_type = "application/json"),
    responses(
        (status = 201, description = "The ticket, available", body = TicketView,
            links(
                ("getTicket" = (operation_id = "getTicket", parameters(("id" = "$response.body#/id")))),
                ("updateTicket" = (operation_id = "updateTicket", parameters(("id" = "$response.body#/id")))),
                ("deleteTicket" = (operation_id = "deleteTicket", parameters(("id" = "$response.body#/id")))),
            )),
        (status = 400, description = "One entry per bad field", body = ErrorBody),
        (status = 409, description = "The seller already has as many open listings as a seller may (`MAX_OPEN_LISTINGS`, 200)", body = ErrorBody),
    ),
)]
fn create_ticket() {}

#[utoipa::path(
    get, path = "/api/tickets", operation_id = "listTickets", tag = "tickets",
    summary = "Tickets for sale, or one seller's",
    description = "Without `userId`, the tickets that can be bought now (available, or reserved by \
a lapsed order, and not for a past event); with it, that seller's tickets in every state. One \
request reads at most a page's worth of candidates: a page may hold fewer items than `limit`, even \
none, and still link to the next one.",
    params(Page, Seller),
    responses(
        (status = 200, description = "A page, newest first", body = Vec<TicketView>,
            headers(("Link" = String, description = "`<address of the next page>; rel=\"next\"`, when one follows")),
            links(
                ("getTicket" = (operation_id = "getTicket", parameters(("id" = "$response.body#/0/id")))),
                ("createOrder" = (operation_id = "createOrder", request_body = json!({ "ticketId": "$response.body#/0/id" }))),
            )),
        (status = 400, description = "A bad `limit`, `cursor` or `userId`", body = ErrorBody),
    ),
    security(()),
)]
fn list_tickets() {}

#[utoipa::path(
    get, path = "/api/tickets/{id}", operation_id = "getTicket", tag = "tickets",
    summary = "One ticket, in any state",
    description = "Its seller and, once the sale is complete, its buyer (signed in) also see its `file` (null while it has none); nobody else does.",
    params(("id" = String, Path, description = "The ticket's id")),
    responses(
        (status = 200, description = "The ticket", body = TicketView),
        (status = 404, description = "`Ticket not found`", body = ErrorBody),
    ),
    security((), ("session" = []), ("bearer" = [])),
)]
fn get_ticket() {}

#[utoipa::path(
    post, path = "/api/tickets/{id}/file", operation_id = "uploadTicketFile", tag = "tickets",
    summary = "Attach the ticket's file (PDF, PNG or JPEG, at most 5 MB)",
    description = "Answers where to upload the file: PUT its bytes to `url` with exactly `headers` within 15 minutes (the signature covers the key, the type and the exact size declared; the storage refuses anything else). The file never passes through the API. The ticket shows it once the stored bytes are checked against the declaration (size, and the first bytes against the type); a file that fails is deleted. A seller may attach or replace the file until the ticket is sold; a ticket sold without one may still get it, until its event. The buyer is told when it is ready.",
    params(("id" = String, Path, description = "The ticket's id")),
    request_body(content = FileUploadBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Where and how to upload the file", body = PresignedUpload),
        (status = 400, description = "Another type, a size over 5 MB, a bad name, or an id longer than any id", body = ErrorBody),
        (status = 403, description = "Someone else's ticket", body = ErrorBody),
        (status = 404, description = "`Ticket not found`", body = ErrorBody),
        (status = 409, description = "Sold with its file already, an event that took place, or changed meanwhile", body = ErrorBody),
    ),
)]
fn upload_ticket_file() {}

#[utoipa::path(
    get, path = "/api/tickets/{id}/file", operation_id = "downloadTicketFile", tag = "tickets",
    summary = "Download one's ticket's file",
    description = "For the ticket's seller: a redirect to a download address valid five minutes.",
    params(("id" = String, Path, description = "The ticket's id")),
    responses(
        (status = 303, description = "The download address",
            headers(("Location" = String, description = "A short-lived download address"))),
        (status = 403, description = "Someone else's ticket", body = ErrorBody),
        (status = 404, description = "`Ticket not found`, or no file yet", body = ErrorBody),
    ),
)]
fn download_ticket_file() {}

#[utoipa::path(
    put, path = "/api/tickets/{id}", operation_id = "updateTicket", tag = "tickets",
    summary = "Edit one's own ticket",
    params(("id" = String, Path, description = "The ticket's id")),
    request_body(content = TicketDraftBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The ticket, one version on", body = TicketView),
        (status = 400, description = "One entry per bad field", body = ErrorBody),
        (status = 403, description = "Someone else's ticket", body = ErrorBody),
        (status = 404, description = "`Ticket not found`", body = ErrorBody),
        (status = 409, description = "Reserved or sold, or changed meanwhile", body = ErrorBody),
    ),
)]
fn update_ticket() {}

#[utoipa::path(
    delete, path = "/api/tickets/{id}", operation_id = "deleteTicket", tag = "tickets",
    summary = "Withdraw one's own ticket",
    params(("id" = String, Path, description = "The ticket's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Someone else's ticket", body = ErrorBody),
        (status = 404, description = "`Ticket not found`", body = ErrorBody),
        (status = 409, description = "Reserved or sold", body = ErrorBody),
    ),
)]
fn delete_ticket() {}

// --- orders --------------------------------------------------------------------------

#[utoipa::path(
    post, path = "/api/orders", operation_id = "createOrder", tag = "orders",
    summary = "Reserve a ticket by ordering it",
    description = "The ticket is held until `expiresAt`; unpaid by then, the order is cancelled and \
the ticket is for sale again. A buyer holds at most three open reservations.",
    request_body(content = OrderRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The order, holding its ticket, as its page shows it (as `getOrder` answers: \
            the seconds its reservation has left, no payment yet)", body = OrderPageView,
            links(
                ("getOrder" = (operation_id = "getOrder", parameters(("id" = "$response.body#/id")))),
                ("cancelOrder" = (operation_id = "cancelOrder", parameters(("id" = "$response.body#/id")))),
                ("getExpiration" = (operation_id = "getExpiration", parameters(("orderId" = "$response.body#/id")))),
                ("createPayment" = (operation_id = "createPayment", request_body = json!({ "orderId": "$response.body#/id" }))),
                ("listPayments" = (operation_id = "listPayments", parameters(("orderId" = "$response.body#/id")))),
            )),
        (status = 400, description = "A missing or malformed `ticketId`", body = ErrorBody),
        (status = 404, description = "`Ticket not found`", body = ErrorBody),
        (status = 409, description = "Reserved or sold already, one's own ticket, an event that took place, or as many open reservations as one may hold", body = ErrorBody),
        (status = 429, description = "The buyer let this ticket go less than the cool-down ago (`REORDER_COOLDOWN_SECONDS`, 300)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the cool-down ends"))),
    ),
)]
fn create_order() {}

#[utoipa::path(
    get, path = "/api/orders", operation_id = "listOrders", tag = "orders",
    summary = "One's own orders",
    params(Page),
    responses(
        (status = 200, description = "A page, newest first", body = Vec<OrderView>,
            headers(("Link" = String, description = "`<address of the next page>; rel=\"next\"`, when one follows"))),
        (status = 400, description = "A bad `limit` or `cursor`", body = ErrorBody),
    ),
)]
fn list_orders() {}

#[utoipa::path(
    get, path = "/api/orders/{id}", operation_id = "getOrder", tag = "orders",
    summary = "One of one's orders",
    params(("id" = String, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The order, with the seconds its reservation has left, its payments and, once \
            complete, its ticket's `file`: what its page shows, without asking `getExpiration`, `listPayments` and \
            `getTicket`", body = OrderPageView),
        (status = 403, description = "Someone else's order", body = ErrorBody),
        (status = 404, description = "`Order not found`", body = ErrorBody),
    ),
)]
fn get_order() {}

#[utoipa::path(
    delete, path = "/api/orders/{id}", operation_id = "cancelOrder", tag = "orders",
    summary = "Cancel one's order",
    description = "The order is kept, `cancelled`, and its ticket is for sale again at once. \
Cancelling a cancelled order again changes nothing.",
    params(("id" = String, Path, description = "The order's id")),
    responses(
        (status = 204, description = "Cancelled"),
        (status = 403, description = "Someone else's order", body = ErrorBody),
        (status = 404, description = "`Order not found`", body = ErrorBody),
        (status = 409, description = "`Cannot cancel a paid order`, or changed meanwhile", body = ErrorBody),
    ),
)]
fn cancel_order() {}

#[utoipa::path(
    post, path = "/api/orders/{id}/problem", operation_id = "reportProblem", tag = "orders",
    summary = "Report a problem with one's complete order",
    description = "For a complete order whose seller is not paid yet (\"ticket not received\"): the order \
records the problem and the seller's payout is held until an operator resolves it (refunding the \
buyer, or releasing the payout). Reporting again while a problem is open changes nothing.",
    params(("id" = String, Path, description = "The order's id")),
    request_body(content = ProblemReport, content_type = "application/json"),
    responses(
        (status = 200, description = "The order, with its `problem`", body = OrderView),
        (status = 400, description = "No `message`, a longer one than allowed, or an id longer than any id", body = ErrorBody),
        (status = 403, description = "Someone else's order", body = ErrorBody),
        (status = 404, description = "`Order not found`", body = ErrorBody),
        (status = 409, description = "Not a complete order, or its seller already paid", body = ErrorBody),
    ),
)]
fn report_problem() {}

#[utoipa::path(
    get, path = "/api/orders/{id}/file", operation_id = "downloadOrderTicket", tag = "orders",
    summary = "Download the ticket one bought",
    description = "For the buyer of a complete order: a redirect to a download address of the ticket's file, valid five minutes. Before the order is complete, and after a refund, the file is not theirs.",
    params(("id" = String, Path, description = "The order's id")),
    responses(
        (status = 303, description = "The download address",
            headers(("Location" = String, description = "A short-lived download address"))),
        (status = 403, description = "Someone else's order, or one that is not complete", body = ErrorBody),
        (status = 404, description = "`Order not found`, or the seller has not uploaded the ticket yet", body = ErrorBody),
    ),
)]
fn download_order_ticket() {}

#[utoipa::path(
    get, path = "/api/expiration/{orderId}", operation_id = "getExpiration", tag = "orders",
    summary = "How long one's reservation still holds",
    params(("orderId" = String, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The reservation's state", body = ReservationState),
        (status = 403, description = "Someone else's order", body = ErrorBody),
        (status = 404, description = "`Order not found`", body = ErrorBody),
    ),
)]
fn get_expiration() {}

// --- notifications -------------------------------------------------------------------

#[utoipa::path(
    get, path = "/api/notifications", operation_id = "listNotifications", tag = "notifications",
    summary = "One's notifications",
    params(Page),
    responses(
        (status = 200, description = "A page, newest first", body = Vec<Notification>,
            headers(("Link" = String, description = "`<address of the next page>; rel=\"next\"`, when one follows"))),
        (status = 400, description = "A bad `limit` or `cursor`", body = ErrorBody),
    ),
)]
fn list_notifications() {}

// --- payments ------------------------------------------------------------------------

#[utoipa::path(
    post, path = "/api/payments", operation_id = "createPayment", tag = "payments",
    summary = "Pay for one's order",
    description = "With a `token` (a Stripe PaymentMethod or card token), charges it at once: 201 \
paid, 202 when the card needs 3-D Secure (finish in the browser with the `clientSecret`), 402 \
declined (the order stays payable). Without one, 201 with the order's PaymentIntent and its \
`clientSecret`, for Stripe.js; asked again once the browser confirmed it, the payment is looked up at \
Stripe and recorded: 201 paid (otherwise as before; the order completes when Stripe's webhook says it \
was paid). Paid, the answer carries the complete order as `getOrder` shows it (`order`).",
    request_body(content = PaymentRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Paid (with the complete `order`), or started for Stripe.js", body = PaymentResultView,
            links(("listPayments" = (operation_id = "listPayments", parameters(("orderId" = "$response.body#/orderId")))))),
        (status = 202, description = "Waiting for 3-D Secure in the browser", body = PaymentResultView),
        (status = 400, description = "A missing or malformed `orderId` or `token`", body = ErrorBody),
        (status = 401, description = "`Not authorized`, or `Session ended; sign in again` after signing out everywhere", body = ErrorBody),
        (status = 402, description = "The card was declined; Stripe's message", body = ErrorBody),
        (status = 403, description = "Someone else's order", body = ErrorBody),
        (status = 404, description = "`Order not found`", body = ErrorBody),
        (status = 409, description = "Paid already, cancelled, lapsed, or an event that took place", body = ErrorBody),
    ),
)]
fn create_payment() {}

#[utoipa::path(
    get, path = "/api/payments", operation_id = "listPayments", tag = "payments",
    summary = "The payments of one's order",
    params(("orderId" = String, Query, description = "The order's id")),
    responses(
        (status = 200, description = "Its payments (at most one)", body = Vec<PaymentView>),
        (status = 400, description = "A missing or over-long `orderId`", body = ErrorBody),
        (status = 403, description = "Someone else's order", body = ErrorBody),
        (status = 404, description = "`Order not found`", body = ErrorBody),
    ),
)]
fn list_payments() {}

#[utoipa::path(
    get, path = "/api/payouts", operation_id = "listPayouts", tag = "payouts",
    summary = "One's payouts as a seller",
    description = "One payout per sale: the price less what went back (`amount`), the platform's fee \
        (`fee`, on the terms in force when the ticket was listed) and what the seller receives (`net`; \
        `net + fee = amount`). It is `scheduled` until `releaseAt` (the event's date plus a hold, or \
        the sale's for a ticket without a date), `held` while something holds it (`heldFor`), then \
        `paid`; `reversed` when part of it was taken back after a refund (`reversed`), `cancelled` \
        when the sale was refunded in full before.",
    params(Page),
    responses(
        (status = 200, description = "A page, newest order first", body = Vec<PayoutView>,
            headers(("Link" = String, description = "`<address of the next page>; rel=\"next\"`, when one follows"))),
        (status = 400, description = "A bad `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "`Not authorized`, or `Session ended; sign in again` after signing out everywhere", body = ErrorBody),
    ),
)]
fn list_payouts() {}

#[utoipa::path(
    get, path = "/api/payouts/account", operation_id = "getPayoutAccount", tag = "payouts",
    summary = "One's payout account",
    description = "`none` until the seller asks for an onboarding link, `pending` until the payment \
        provider can pay out to it, then `enabled`, with a link to the account's own dashboard.",
    responses(
        (status = 200, description = "Where it stands", body = AccountView),
        (status = 401, description = "`Not authorized`, or `Session ended; sign in again` after signing out everywhere", body = ErrorBody),
    ),
)]
fn get_payout_account() {}

#[utoipa::path(
    post, path = "/api/payouts/account", operation_id = "linkPayoutAccount", tag = "payouts",
    summary = "A link to set up one's payout account",
    description = "Creates the seller's payout account at the payment provider the first time (once, \
        however many requests race) and answers a fresh link to the provider's onboarding, which \
        sends the seller back to the web client's payouts page. Sales held for want of an account \
        are paid once it can receive payouts. The seller's e-mail address must be verified first \
        (`verifyEmail`).",
    request_body(content = Empty, content_type = "application/json"),
    responses(
        (status = 201, description = "Where to send the seller", body = OnboardingLink),
        (status = 400, description = "A body that is not a JSON object", body = ErrorBody),
        (status = 401, description = "`Not authorized`, or `Session ended; sign in again` after signing out everywhere", body = ErrorBody),
        (status = 403, description = "The seller's e-mail address is not verified yet", body = ErrorBody),
    ),
)]
fn link_payout_account() {}

/// A Stripe event, as Stripe posts it.
#[derive(utoipa::ToSchema)]
struct StripeEvent {
    id: String,
    #[schema(rename = "type")]
    kind: String,
    created: i64,
    livemode: bool,
    data: serde_json::Value,
}

#[utoipa::path(
    post, path = "/api/payments/webhook", operation_id = "stripeWebhook", tag = "payments",
    summary = "Stripe's events",
    description = "For Stripe only: an event signed with the endpoint's secret. `payment_intent.succeeded` \
completes its order (refunded instead if the order can no longer be completed, or if what was \
charged is not the order's amount, currency or mode), `payment_intent.payment_failed` is recorded, \
`charge.refunded` is recorded on the payment and, refunded in full, ends the order `refunded`; \
`charge.dispute.created` puts a complete order on hold (`disputed`), `charge.dispute.closed` makes \
it `complete` again (won) or `refunded` (lost). Each event is processed once.",
    params(("Stripe-Signature" = String, Header, description = "`t=<unix time>,v1=<HMAC-SHA256 hex>`, Stripe's signature; good for five minutes")),
    request_body(content = StripeEvent, content_type = "application/json"),
    responses(
        (status = 200, description = "Received (also for events this API does not act on)", body = Received),
        (status = 400, description = "A missing, wrong or stale signature, or a body that is not a Stripe event", body = ErrorBody),
        (status = 500, description = "A transient failure: Stripe retries", body = ErrorBody),
    ),
    security(()),
)]
fn stripe_webhook() {}

#[utoipa::path(
    post, path = "/api/payouts/webhook", operation_id = "stripeConnectWebhook", tag = "payouts",
    summary = "Stripe Connect's events",
    description = "For Stripe only: an event of connected accounts, signed with this second endpoint's own \
secret. `account.updated` records whether the account can receive payouts (enabled: the seller's \
payouts held for want of an account are released); `account.application.deauthorized` records the \
account disconnected (its payouts are held); `transfer.*` events are acknowledged. Each event is \
processed once.",
    params(("Stripe-Signature" = String, Header, description = "`t=<unix time>,v1=<HMAC-SHA256 hex>`, Stripe's signature; good for five minutes")),
    request_body(content = StripeEvent, content_type = "application/json"),
    responses(
        (status = 200, description = "Received (also for events this API does not act on)", body = Received),
        (status = 400, description = "A missing, wrong or stale signature, or a body that is not a Stripe event", body = ErrorBody),
        (status = 500, description = "A transient failure: Stripe retries", body = ErrorBody),
    ),
    security(()),
)]
fn stripe_connect_webhook() {}

// --- client --------------------------------------------------------------------------

#[utoipa::path(
    get, path = "/api/config", operation_id = "getConfig", tag = "client",
    summary = "How a browser client takes payments",
    description = "`stripe`: load Stripe.js from `stripeJsUrl` with `publishableKey` and confirm the \
payment's `clientSecret` with the card; `test`: send one of `testCards` as `token`.",
    responses((status = 200, description = "The payment setup", body = ClientConfig)),
    security(()),
)]
fn get_config() {}
