//! The HTTP API's routes, as `template.yaml` declares them (a test keeps the two equal):
//! what the local runner mounts, and what the `$default` route knows of the paths it is
//! given with the wrong method.

/// One API Gateway route: the function it invokes, its method and path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub function: &'static str,
    pub method: &'static str,
    pub path: &'static str,
}

/// Every route of the HTTP API, as `template.yaml` declares them.
pub const ROUTES: &[Route] = &[
    Route { function: "users-signup", method: "POST", path: "/api/users/signup" },
    Route { function: "users-signin", method: "POST", path: "/api/users/signin" },
    Route { function: "users-signout", method: "POST", path: "/api/users/signout" },
    Route { function: "users-password-reset", method: "POST", path: "/api/users/password-reset" },
    Route { function: "users-password-reset-confirm", method: "POST", path: "/api/users/password-reset/confirm" },
    Route { function: "users-currentuser", method: "GET", path: "/api/users/currentuser" },
    Route { function: "users-verify-email", method: "POST", path: "/api/users/verify-email" },
    Route { function: "users-verify-email-resend", method: "POST", path: "/api/users/verify-email/resend" },
    Route { function: "tickets-create", method: "POST", path: "/api/tickets" },
    Route { function: "tickets-list", method: "GET", path: "/api/tickets" },
    Route { function: "tickets-get", method: "GET", path: "/api/tickets/{id}" },
    Route { function: "tickets-update", method: "PUT", path: "/api/tickets/{id}" },
    Route { function: "tickets-delete", method: "DELETE", path: "/api/tickets/{id}" },
    Route { function: "tickets-file-upload", method: "POST", path: "/api/tickets/{id}/file" },
    Route { function: "tickets-file-get", method: "GET", path: "/api/tickets/{id}/file" },
    Route { function: "orders-create", method: "POST", path: "/api/orders" },
    Route { function: "orders-list", method: "GET", path: "/api/orders" },
    Route { function: "orders-get", method: "GET", path: "/api/orders/{id}" },
    Route { function: "orders-cancel", method: "DELETE", path: "/api/orders/{id}" },
    Route { function: "orders-problem", method: "POST", path: "/api/orders/{id}/problem" },
    Route { function: "orders-file-get", method: "GET", path: "/api/orders/{id}/file" },
    Route { function: "expiration-get", method: "GET", path: "/api/expiration/{orderId}" },
    Route { function: "notifications-list", method: "GET", path: "/api/notifications" },
    Route { function: "payments-create", method: "POST", path: "/api/payments" },
    Route { function: "payments-list", method: "GET", path: "/api/payments" },
    Route { function: "payments-webhook", method: "POST", path: "/api/payments/webhook" },
    Route { function: "payouts-list", method: "GET", path: "/api/payouts" },
    Route { function: "payouts-account-get", method: "GET", path: "/api/payouts/account" },
    Route { function: "payouts-account-link", method: "POST", path: "/api/payouts/account" },
    Route { function: "payouts-webhook", method: "POST", path: "/api/payouts/webhook" },
    Route { function: "client-config", method: "GET", path: "/api/config" },
];

/// The function behind the `$default` route: whatever no route matches.
pub const FALLBACK: &str = "not-found";

/// Whether `path` is an instance of the route pattern `pattern` (`{name}` matches any one
/// non-empty segment).
pub fn matches(pattern: &str, path: &str) -> bool {
    let (mut pattern, mut path) = (pattern.split('/'), path.trim_end_matches('/').split('/'));
    loop {
        match (pattern.next(), path.next()) {
            (None, None) => return true,
            (Some(expected), Some(given)) => {
                let variable = expected.starts_with('{') && expected.ends_with('}');
                if !(variable && !given.is_empty() || expected == given) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// The methods the routes of `path` answer, if any.
pub fn methods_of(path: &str) -> Vec<&'static str> {
    ROUTES.iter().filter(|route| matches(route.path, path)).map(|route| route.method).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_matches_the_patterns_of_its_routes_only() {
        assert_eq!(methods_of("/api/tickets/01KTICKET"), ["GET", "PUT", "DELETE"]);
        assert_eq!(methods_of("/api/tickets"), ["POST", "GET"]);
        assert_eq!(methods_of("/api/tickets/"), ["POST", "GET"]);
        assert!(methods_of("/api/tickets/a/b").is_empty());
        assert!(methods_of("/api/nothing").is_empty());
    }
}
