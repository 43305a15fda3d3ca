//! A [`Rejection`] as a gRPC [`tonic::Status`] (feature `tonic`): the code for each kind, the
//! `error_description` as the message, the challenge as `www-authenticate` metadata; and the
//! function [`Settings::grpc_rejection_status`](crate::Settings::grpc_rejection_status)
//! installs in its place.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock};

use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::{Code, Status};

use super::{Rejection, RejectionKind};

impl RejectionKind {
    /// The gRPC status code: `UNAUTHENTICATED` for 400 and 401, `PERMISSION_DENIED` for 403,
    /// `UNAVAILABLE` for 503 and `INTERNAL` for 500.
    pub const fn grpc_code(self) -> Code {
        match self {
            RejectionKind::MissingCredentials
            | RejectionKind::InvalidRequest
            | RejectionKind::InvalidToken
            | RejectionKind::InvalidDpopProof
            | RejectionKind::UseDpopNonce => Code::Unauthenticated,
            RejectionKind::InsufficientScope => Code::PermissionDenied,
            RejectionKind::KeysUnavailable | RejectionKind::ReplayStoreUnavailable => {
                Code::Unavailable
            }
            RejectionKind::Misconfigured => Code::Internal,
        }
    }
}

impl Rejection {
    /// The documented gRPC answer: the code of [`RejectionKind::grpc_code`], the
    /// [`description`](Self::description) as the message, and as metadata each
    /// `www-authenticate` challenge, `retry-after` and `dpop-nonce` this rejection has over
    /// HTTP (see [`headers`](Self::headers)).
    ///
    /// ```
    /// use jwks_guard::{Rejection, RejectionKind};
    ///
    /// let status = Rejection::new(RejectionKind::InvalidToken, "token expired").default_grpc_status();
    /// assert_eq!(status.code(), tonic::Code::Unauthenticated);
    /// assert_eq!(status.message(), "token expired");
    /// assert_eq!(
    ///     status.metadata().get("www-authenticate").and_then(|v| v.to_str().ok()),
    ///     Some(r#"Bearer error="invalid_token", error_description="token expired""#),
    /// );
    /// ```
    pub fn default_grpc_status(&self) -> Status {
        let mut metadata = MetadataMap::new();
        // Every challenge, `retry-after` and `dpop-nonce`: visible ASCII (the challenge's text
        // is quoted and cleaned).
        for (name, value) in self.headers().filter(|(name, _)| *name != "content-type") {
            if let Ok(value) = MetadataValue::try_from(value) {
                metadata.append(name, value);
            }
        }
        Status::with_metadata(self.kind().grpc_code(), self.description(), metadata)
    }

    /// The status the tonic integration answers with: the function installed with
    /// [`Settings::grpc_rejection_status`](crate::Settings::grpc_rejection_status), else
    /// [`default_grpc_status`](Self::default_grpc_status). A function that panics is answered
    /// with the default status (and an error log).
    pub fn grpc_status(&self) -> Status {
        match INSTALLED.get() {
            None => self.default_grpc_status(),
            Some(function) => match catch_unwind(AssertUnwindSafe(|| (function.0)(self))) {
                Ok(status) => status,
                Err(_) => {
                    tracing::error!(
                        status = self.status(),
                        "the function installed with Settings::grpc_rejection_status panicked; \
                         answering with the default status"
                    );
                    self.default_grpc_status()
                }
            },
        }
    }
}

impl From<Rejection> for Status {
    /// [`Rejection::grpc_status`].
    fn from(rejection: Rejection) -> Status {
        rejection.grpc_status()
    }
}

/// The function [`configure`](crate::configure) installed from
/// [`Settings::grpc_rejection_status`](crate::Settings::grpc_rejection_status), if any.
static INSTALLED: OnceLock<GrpcStatusFn> = OnceLock::new();

/// Installs the function the tonic integration answers rejections through: once, by
/// [`configure`](crate::configure).
pub(crate) fn install_grpc_status(function: GrpcStatusFn) {
    // `configure` succeeds once, so this is the first and only call.
    let _ = INSTALLED.set(function);
}

/// The function installed with
/// [`Settings::grpc_rejection_status`](crate::Settings::grpc_rejection_status).
#[derive(Clone)]
pub(crate) struct GrpcStatusFn(pub(crate) Arc<dyn Fn(&Rejection) -> Status + Send + Sync>);

impl fmt::Debug for GrpcStatusFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GrpcStatusFn(..)")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn metadata(status: &Status, name: &str) -> Option<String> {
        let value = status.metadata().get(name)?;
        value.to_str().ok().map(str::to_owned)
    }

    #[test]
    fn each_kind_has_its_grpc_code() {
        let codes = [
            (Rejection::missing_credentials("x"), Code::Unauthenticated),
            (Rejection::invalid_request("x"), Code::Unauthenticated),
            (Rejection::invalid_token("x"), Code::Unauthenticated),
            (
                Rejection::insufficient_scope("x", "a"),
                Code::PermissionDenied,
            ),
            (
                Rejection::keys_unavailable(Duration::ZERO),
                Code::Unavailable,
            ),
            (Rejection::misconfigured(), Code::Internal),
        ];
        for (rejection, code) in codes {
            assert_eq!(rejection.default_grpc_status().code(), code, "{rejection}");
        }
    }

    #[test]
    fn the_status_carries_the_description_and_the_http_challenge() {
        let rejection = Rejection::insufficient_scope("missing scope b", "a b");
        let status = rejection.default_grpc_status();
        assert_eq!(status.message(), "missing scope b");
        assert_eq!(
            metadata(&status, "www-authenticate"),
            rejection.www_authenticate()
        );
        let unavailable = Rejection::keys_unavailable(Duration::from_millis(1500));
        let status = unavailable.default_grpc_status();
        assert_eq!(metadata(&status, "www-authenticate"), None);
        assert_eq!(metadata(&status, "retry-after").as_deref(), Some("2"));
    }
}
