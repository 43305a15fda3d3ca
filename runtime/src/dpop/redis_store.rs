//! The DPoP replay store in Redis (feature `redis`): one view of the accepted proofs for every
//! replica.

use std::fmt::{self, Write as _};
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Client, Cmd, RedisError, Value};
use tokio::sync::OnceCell;

use crate::dpop_state::{ReplayFuture, ReplayStore, ReplayStoreError};

/// A [`ReplayStore`] in Redis: every replica that opens the same Redis shares one view of the
/// accepted proofs, so a proof replayed against another replica is refused too.
///
/// Each proof is one command, `SET <prefix><key in hex> 1 NX PX <ttl in ms>`: `OK` when the
/// proof is new, nil when it was seen. Redis forgets the proof once it could no longer be
/// accepted anyway.
///
/// [`open`](Self::open) reads the URL and connects nothing: the connection is opened at the
/// first proof, on the Tokio runtime that checks it, and reopened by itself when it drops or
/// Redis restarts. A command that has not answered within the [`timeout`](Self::timeout)
/// (default 1 s), and every error, is a [`ReplayStoreError`]: the request is then refused
/// with 503 and `Retry-After`, never accepted unchecked. The error's text names Redis's
/// address, never the URL's user or password.
///
/// The feature turns on no TLS, so `rediss://` is refused (unless the application turns on one
/// of the `redis` crate's TLS features itself): reach Redis over a private network or a local
/// TLS tunnel.
///
/// ```no_run
/// use std::time::Duration;
/// use jwks_guard::Settings;
/// use jwks_guard::dpop::RedisReplayStore;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let store = RedisReplayStore::open("redis://:secret@redis.internal:6379/0")?
///     .timeout(Duration::from_millis(500));
/// jwks_guard::configure(Settings::new().dpop_replay_store(store))?;
/// # Ok(()) }
/// ```
pub struct RedisReplayStore {
    client: Client,
    connection: OnceCell<ConnectionManager>,
    prefix: String,
    timeout: Duration,
    /// Where Redis is, for messages: the address and database, no credentials.
    target: String,
    /// The URL's password, scrubbed from any message that might repeat it.
    password: Option<String>,
}

impl fmt::Debug for RedisReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplayStore")
            .field("target", &self.target)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// [`RedisReplayStore::open`] was given a URL it cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a usable Redis URL ({0}); write redis://[user][:password@]host[:port][/db] or \
     redis+unix:///path/to/socket (no TLS: rediss:// is not supported)"
)]
pub struct RedisReplayStoreError(String);

impl RedisReplayStore {
    /// The key prefix by default: `jwks-guard:dpop:`.
    pub const DEFAULT_PREFIX: &'static str = "jwks-guard:dpop:";
    /// How long one command may take by default: 1 s.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

    /// A store in the Redis at `url` (`redis://[user][:password@]host[:port][/db]`, or
    /// `redis+unix:///path`), with the default prefix and timeout. Connects nothing yet.
    ///
    /// # Errors
    /// The URL does not parse or names an unsupported scheme (`rediss://`). The error does not
    /// repeat the URL.
    pub fn open(url: &str) -> Result<Self, RedisReplayStoreError> {
        let client = Client::open(url).map_err(|error| {
            let userinfo = userinfo(url);
            let password = userinfo
                .and_then(|userinfo| userinfo.split_once(':'))
                .map(|(_, p)| p);
            let message = scrub(&scrub(&error.to_string(), userinfo), password);
            RedisReplayStoreError(message)
        })?;
        let info = client.get_connection_info();
        let settings = info.redis_settings();
        let target = format!("{} (db {})", info.addr(), settings.db());
        let password = settings
            .password()
            .filter(|password| !password.is_empty())
            .map(str::to_owned);
        Ok(RedisReplayStore {
            client,
            connection: OnceCell::new(),
            prefix: Self::DEFAULT_PREFIX.to_owned(),
            timeout: Self::DEFAULT_TIMEOUT,
            target,
            password,
        })
    }

    /// The prefix of every key this store writes (default [`DEFAULT_PREFIX`](Self::DEFAULT_PREFIX)):
    /// services that must not share proofs use different prefixes or databases.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long one proof's command may take, connecting included (default
    /// [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT), at least 1 ms): past it the request is
    /// refused with 503, so a hung Redis never hangs a request.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Whether Redis answers `PING` within the timeout: for a readiness check at start-up.
    ///
    /// # Errors
    /// As [`ReplayStore::insert_new`]: Redis is unreachable, slow or answered an error.
    pub async fn ping(&self) -> Result<(), ReplayStoreError> {
        self.run(&::redis::cmd("PING")).await.map(drop)
    }

    /// The key `key` is stored under: the prefix, then `key` in lowercase hex.
    fn key_of(&self, key: &[u8]) -> String {
        let mut name = String::with_capacity(self.prefix.len() + 2 * key.len());
        name.push_str(&self.prefix);
        for byte in key {
            let _ = write!(name, "{byte:02x}");
        }
        name
    }

    /// `command`'s reply, within the timeout.
    async fn run(&self, command: &Cmd) -> Result<Value, ReplayStoreError> {
        // The connection's own timeouts are the same length: whichever fires first says so.
        match tokio::time::timeout(self.timeout, self.send(command)).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(error)) if !error.is_timeout() => {
                Err(self.unavailable(&format!("Redis at {}: {error}", self.target)))
            }
            Ok(Err(_)) | Err(_) => Err(self.unavailable(&format!(
                "Redis at {} did not answer within {:?}",
                self.target, self.timeout
            ))),
        }
    }

    async fn send(&self, command: &Cmd) -> Result<Value, RedisError> {
        let connection = self
            .connection
            .get_or_try_init(|| async {
                ConnectionManager::new_lazy_with_config(self.client.clone(), self.config())
            })
            .await?;
        command.query_async(&mut connection.clone()).await
    }

    /// Connecting and each reply bounded by the timeout; reconnecting soon after Redis is back.
    fn config(&self) -> ConnectionManagerConfig {
        ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_max_delay(self.timeout.max(Duration::from_millis(100)))
    }

    fn unavailable(&self, message: &str) -> ReplayStoreError {
        ReplayStoreError(scrub(message, self.password.as_deref()))
    }
}

impl ReplayStore for RedisReplayStore {
    fn insert_new<'a>(&'a self, key: &'a [u8], ttl: Duration) -> ReplayFuture<'a> {
        Box::pin(async move {
            let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            let mut command = ::redis::cmd("SET");
            command
                .arg(self.key_of(key))
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(ttl_ms);
            match self.run(&command).await? {
                Value::Okay => Ok(true),
                Value::Nil => Ok(false),
                other => Err(self.unavailable(&format!(
                    "Redis at {} answered SET NX with {other:?} instead of OK or nil",
                    self.target
                ))),
            }
        })
    }
}

/// `text` with every occurrence of `secret` (when there is one) replaced by `***`.
fn scrub(text: &str, secret: Option<&str>) -> String {
    match secret {
        Some(secret) if !secret.is_empty() => text.replace(secret, "***"),
        _ => text.to_owned(),
    }
}

/// The `user:password` part of a URL, found without parsing it (for a URL that does not parse).
fn userinfo(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    authority.rfind('@').map(|at| &authority[..at])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)] // a test stops with a message on a broken setup
    use super::*;

    #[test]
    fn a_key_is_the_prefix_and_the_key_in_hex() {
        let store = RedisReplayStore::open("redis://127.0.0.1:6379/")
            .expect("a good URL")
            .prefix("p:");
        assert_eq!(store.key_of(&[0x00, 0xab, 0xff]), "p:00abff");
    }

    #[test]
    fn open_refuses_a_bad_url_without_repeating_its_credentials() {
        for url in [
            "http://user:hunter2@127.0.0.1/",
            "redis://user:hunter2@[::1/",
            "rediss://user:hunter2@127.0.0.1/",
        ] {
            let error = RedisReplayStore::open(url).expect_err(url).to_string();
            assert!(!error.contains("hunter2"), "{url}: {error}");
            assert!(error.contains("not a usable Redis URL"), "{url}: {error}");
        }
    }

    #[test]
    fn the_debug_form_names_the_address_and_not_the_password() {
        let store = RedisReplayStore::open("redis://user:hunter2@127.0.0.1:6390/2").expect("URL");
        let debug = format!("{store:?}");
        assert!(debug.contains("127.0.0.1:6390 (db 2)"), "{debug}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn userinfo_is_found_without_parsing() {
        assert_eq!(userinfo("redis://u:p@h:1/0"), Some("u:p"));
        assert_eq!(userinfo("redis://h:1/0@x"), None);
        assert_eq!(userinfo("no scheme"), None);
    }
}
