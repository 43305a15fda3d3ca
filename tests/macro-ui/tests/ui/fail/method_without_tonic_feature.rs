// A method of the right shape, but its request is not tonic's (or the feature `tonic` is off).
use jwks_guard::protected;

struct Request<T>(T);

struct Greeter;

impl Greeter {
    #[protected(issuer = "https://id.example.com/", audience = "greeter")]
    async fn say_hello(&self, request: Request<String>) -> Result<String, String> {
        Ok(request.0)
    }
}

fn main() {}
