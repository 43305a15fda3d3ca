use jwks_guard::protected;

struct Greeter;

impl Greeter {
    #[protected(issuer = "https://id.example.com/", audience = "greeter")]
    async fn say_hello(&self, name: String) -> Result<String, String> {
        Ok(name)
    }
}

fn main() {}
