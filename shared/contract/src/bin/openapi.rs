//! Prints the API's OpenAPI document: `cargo run -q -p contract > openapi.json`.

fn main() {
    print!("{}", contract::json());
}
