//! Static checks: the crates' dependency rules, and `template.yaml` against the code.

mod architecture;
mod template;
