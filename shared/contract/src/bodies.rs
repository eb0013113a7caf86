//! The request bodies the edge reads field by field into domain types rather than into a
//! type of their own (`edge::requests`): their schemas, for the document only. Their limits,
//! and the descriptions that state them, are set by `crate::limits` from the domain's own
//! constants.

use domain::entities::FileType;
use domain::money::Money;

/// `{email, password}` of a new account.
#[derive(utoipa::ToSchema)]
pub struct NewAccount {
    #[schema(example = "ada@example.com")]
    email: String,
    #[schema(example = "correct horse battery")]
    password: String,
}

/// `{email, password}` offered at sign-in.
#[derive(utoipa::ToSchema)]
pub struct SignIn {
    #[schema(example = "ada@example.com")]
    email: String,
    /// Whatever was set at sign-up.
    #[schema(min_length = 1, example = "correct horse battery")]
    password: String,
}

/// `{email}` of a password reset asked for.
#[derive(utoipa::ToSchema)]
pub struct ResetRequest {
    #[schema(example = "ada@example.com")]
    email: String,
}

/// `{token, password}`: the reset's token (from its mail's link) and the new password.
#[derive(utoipa::ToSchema)]
pub struct ResetConfirmation {
    /// As the link carries it.
    #[schema(min_length = 1, max_length = 200, example = "01KADA0000000000000000SAMPLE.k3r7Xw")]
    token: String,
    #[schema(example = "a brand new passphrase")]
    password: String,
}

/// `{token}`: an e-mail verification's token, from its mail's link.
#[derive(utoipa::ToSchema)]
pub struct Verification {
    /// As the link carries it.
    #[schema(min_length = 1, max_length = 200, example = "01KADA0000000000000000SAMPLE.k3r7Xw")]
    token: String,
}

/// `{everywhere?}` of a sign-out: `true` ends every session of the account, not only this one.
#[derive(utoipa::ToSchema)]
pub struct SignOut {
    /// Sign out on every device: every session issued so far stops working for payments,
    /// payouts and sign-out, at once, and everywhere else when it expires.
    #[schema(default = false)]
    everywhere: Option<bool>,
}

/// `{title, price, date?, venue?}`: what a seller says about a ticket.
#[derive(utoipa::ToSchema)]
pub struct TicketDraftBody {
    #[schema(example = "Concert")]
    title: String,
    // A JSON number or a decimal string: its schema (`anyOf` the two forms, the string's
    // pattern `Money::DECIMAL_STRING_PATTERN`) is set by the contract crate.
    #[schema(value_type = f64)]
    price: Money,
    /// When the event takes place: an RFC 3339 date-time in the future.
    #[schema(value_type = Option<String>, format = DateTime, example = "2030-06-01T20:00:00Z")]
    date: Option<String>,
    #[schema(example = "Royal Albert Hall")]
    venue: Option<String>,
}

/// `{fileName, contentType, size}`: the file a seller is about to upload for a ticket.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct FileUploadBody {
    // What a file name may hold (no control characters; no slash, backslash or space at
    // its end once folders and trailing spaces are dropped); its length is `limits`'.
    #[schema(example = "ticket.pdf", pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x1f\x7f-\x9f/\\ ] *$")]
    file_name: String,
    content_type: FileType,
    #[schema(example = 48213)]
    size: u64,
}
