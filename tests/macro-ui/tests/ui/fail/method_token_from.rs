use jwks_guard::protected;

struct Request<T>(T);

struct Greeter;

impl Greeter {
    #[protected(
        issuer = "https://id.example.com/",
        audience = "greeter",
        token_from = ["authorization", cookie("session")],
    )]
    async fn say_hello(&self, request: Request<String>) -> Result<String, String> {
        Ok(request.0)
    }
}

fn main() {}
