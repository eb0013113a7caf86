//! Static checks: the crates' dependency rules, the README's guarantees table against the tests,
//! and `template.yaml` against the code.

mod architecture;
mod guarantees;
mod template;
