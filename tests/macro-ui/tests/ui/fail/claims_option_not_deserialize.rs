use jwks_guard::protected;

struct Profile {
    email: String,
}

#[protected(issuer = "https://id.example.com/", audience = "catalogue-api")]
async fn catalogue(#[claims] profile: Option<Profile>) -> String {
    profile.map(|profile| profile.email).unwrap_or_default()
}

fn main() {}
