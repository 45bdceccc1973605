//! The API's errors: one variant per error type Prometheus' HTTP API
//! reports, each carrying the message shown to the client.

use axum::http::StatusCode;

/// Status code Prometheus answers for a canceled query (nginx's
/// "client closed request"; no standard code exists).
pub const STATUS_CLIENT_CLOSED: u16 = 499;

/// An API failure, rendered as `{"status":"error","errorType":…,"error":…}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// A parameter or body the client sent is wrong (400, `bad_data`).
    #[error("{0}")]
    BadData(String),
    /// The query could not be evaluated (422, `execution`).
    #[error("{0}")]
    Execution(String),
    /// The query ran out of time (503, `timeout`).
    #[error("{0}")]
    Timeout(String),
    /// The query was canceled (499, `canceled`).
    #[error("{0}")]
    Canceled(String),
    /// The server failed (500, `internal`).
    #[error("{0}")]
    Internal(String),
    /// Something named does not exist (404, `not_found`).
    #[error("{0}")]
    NotFound(String),
    /// The feature is switched off (`unavailable`; Prometheus falls to its
    /// default 500 for this type).
    #[error("{0}")]
    Unavailable(String),
}

impl ApiError {
    /// `invalid parameter "<name>": <err>`, the wording of Prometheus'
    /// `invalidParamError`.
    pub fn invalid_param(name: &str, err: impl std::fmt::Display) -> ApiError {
        ApiError::BadData(format!("invalid parameter \"{name}\": {err}"))
    }

    /// The `errorType` string.
    pub fn error_type(&self) -> &'static str {
        match self {
            ApiError::BadData(_) => "bad_data",
            ApiError::Execution(_) => "execution",
            ApiError::Timeout(_) => "timeout",
            ApiError::Canceled(_) => "canceled",
            ApiError::Internal(_) => "internal",
            ApiError::NotFound(_) => "not_found",
            ApiError::Unavailable(_) => "unavailable",
        }
    }

    /// The HTTP status Prometheus answers with (its `getDefaultErrorCode`).
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadData(_) => StatusCode::BAD_REQUEST,
            ApiError::Execution(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Timeout(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Canceled(_) => StatusCode::from_u16(STATUS_CLIENT_CLOSED)
                .unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            ApiError::Internal(_) | ApiError::Unavailable(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
        }
    }

    /// The error as the API's JSON body.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"status\":\"error\",\"errorType\":");
        crate::json::push_str(&mut out, self.error_type());
        out.push_str(",\"error\":");
        crate::json::push_str(&mut out, &self.to_string());
        out.push('}');
        out
    }
}

impl From<vigil_promql::engine::QueryError> for ApiError {
    /// Maps engine failures as Prometheus' `returnAPIError` does.
    fn from(e: vigil_promql::engine::QueryError) -> ApiError {
        use vigil_promql::engine::QueryError;
        let msg = e.to_string();
        match e {
            QueryError::Parse(_) => ApiError::invalid_param("query", msg),
            QueryError::Timeout => ApiError::Timeout(msg),
            QueryError::Canceled => ApiError::Canceled(msg),
            QueryError::Storage(_) => ApiError::Internal(msg),
            QueryError::Eval(_) => ApiError::Execution(msg),
        }
    }
}

impl From<vigil_tsdb::db::DbError> for ApiError {
    fn from(e: vigil_tsdb::db::DbError) -> ApiError {
        ApiError::Internal(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_codes_follow_prometheus() {
        let cases = [
            (ApiError::BadData("x".into()), "bad_data", 400),
            (ApiError::Execution("x".into()), "execution", 422),
            (ApiError::Timeout("x".into()), "timeout", 503),
            (ApiError::Canceled("x".into()), "canceled", 499),
            (ApiError::Internal("x".into()), "internal", 500),
            (ApiError::NotFound("x".into()), "not_found", 404),
            (ApiError::Unavailable("x".into()), "unavailable", 500),
        ];
        for (e, t, code) in cases {
            assert_eq!(e.error_type(), t);
            assert_eq!(e.status().as_u16(), code);
        }
    }

    #[test]
    fn error_json() {
        let e = ApiError::invalid_param("start", "cannot parse \"x\" to a valid timestamp");
        assert_eq!(
            e.to_json(),
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": cannot parse \"x\" to a valid timestamp"}"#
        );
    }
}
