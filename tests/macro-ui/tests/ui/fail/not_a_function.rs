use jwks_guard::protected;

#[protected(issuer = "https://id.example.com/", audience = "orders-api")]
struct Orders;

fn main() {}
