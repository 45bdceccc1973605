//! The `io.prometheus.client` messages of client_model's `metrics.proto`
//! (proto2), written out by hand for prost so that no `protoc` is needed.
//!
//! Field numbers, wire types and labels match the upstream definition. That
//! file is proto2, so repeated scalar fields are declared unpacked; prost
//! accepts the packed form on decode as well, which is what protobuf
//! requires of every proto2 reader. The proto has no custom-bucket
//! (`custom_values`) field, so schema -53 native histograms cannot travel in
//! this format.

/// `google.protobuf.Timestamp`: seconds and nanoseconds since the Unix epoch.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct Timestamp {
    /// Whole seconds.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds within the second (0..1e9).
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl Timestamp {
    /// The timestamp in milliseconds; saturates instead of overflowing on
    /// absurd inputs because it is read from untrusted bodies.
    pub fn to_millis(self) -> i64 {
        self.seconds
            .saturating_mul(1000)
            .saturating_add(i64::from(self.nanos) / 1_000_000)
    }

    /// The timestamp for `ms` milliseconds since the epoch.
    pub fn from_millis(ms: i64) -> Timestamp {
        Timestamp {
            seconds: ms.div_euclid(1000),
            // rem_euclid(1000) is in 0..1000, so the product fits an i32.
            nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
        }
    }
}

/// `LabelPair`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct LabelPair {
    /// Label name.
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// Label value.
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
}

/// `MetricType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum MetricType {
    /// `COUNTER`.
    Counter = 0,
    /// `GAUGE`.
    Gauge = 1,
    /// `SUMMARY`.
    Summary = 2,
    /// `UNTYPED`.
    Untyped = 3,
    /// `HISTOGRAM`.
    Histogram = 4,
    /// `GAUGE_HISTOGRAM`.
    GaugeHistogram = 5,
}

/// `Gauge`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct Gauge {
    /// Value.
    #[prost(double, optional, tag = "1")]
    pub value: Option<f64>,
}

/// `Counter`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Counter {
    /// Value.
    #[prost(double, optional, tag = "1")]
    pub value: Option<f64>,
    /// Exemplar of the counter.
    #[prost(message, optional, tag = "2")]
    pub exemplar: Option<Exemplar>,
    /// When the counter was created (last reset).
    #[prost(message, optional, tag = "3")]
    pub created_timestamp: Option<Timestamp>,
}

/// `Quantile`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct Quantile {
    /// The quantile (0..=1).
    #[prost(double, optional, tag = "1")]
    pub quantile: Option<f64>,
    /// Its value.
    #[prost(double, optional, tag = "2")]
    pub value: Option<f64>,
}

/// `Summary`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Summary {
    /// Number of observations.
    #[prost(uint64, optional, tag = "1")]
    pub sample_count: Option<u64>,
    /// Sum of observations.
    #[prost(double, optional, tag = "2")]
    pub sample_sum: Option<f64>,
    /// Quantiles.
    #[prost(message, repeated, tag = "3")]
    pub quantile: Vec<Quantile>,
    /// When the summary was created (last reset).
    #[prost(message, optional, tag = "4")]
    pub created_timestamp: Option<Timestamp>,
}

/// `Untyped`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct Untyped {
    /// Value.
    #[prost(double, optional, tag = "1")]
    pub value: Option<f64>,
}

/// `Histogram`: classic buckets and/or native-histogram fields.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Histogram {
    /// Number of observations.
    #[prost(uint64, optional, tag = "1")]
    pub sample_count: Option<u64>,
    /// Number of observations as a float; overrides `sample_count` when > 0.
    #[prost(double, optional, tag = "4")]
    pub sample_count_float: Option<f64>,
    /// Sum of observations.
    #[prost(double, optional, tag = "2")]
    pub sample_sum: Option<f64>,
    /// Classic buckets in increasing `upper_bound` order; `+Inf` optional.
    #[prost(message, repeated, tag = "3")]
    pub bucket: Vec<Bucket>,
    /// When the histogram was created (last reset).
    #[prost(message, optional, tag = "15")]
    pub created_timestamp: Option<Timestamp>,
    /// Native histogram schema.
    #[prost(sint32, optional, tag = "5")]
    pub schema: Option<i32>,
    /// Width of the zero bucket.
    #[prost(double, optional, tag = "6")]
    pub zero_threshold: Option<f64>,
    /// Observations in the zero bucket.
    #[prost(uint64, optional, tag = "7")]
    pub zero_count: Option<u64>,
    /// Zero-bucket count as a float; overrides `zero_count` when > 0.
    #[prost(double, optional, tag = "8")]
    pub zero_count_float: Option<f64>,
    /// Negative bucket spans.
    #[prost(message, repeated, tag = "9")]
    pub negative_span: Vec<BucketSpan>,
    /// Negative bucket counts as deltas (integer histograms).
    #[prost(sint64, repeated, packed = "false", tag = "10")]
    pub negative_delta: Vec<i64>,
    /// Negative bucket counts, absolute (float histograms).
    #[prost(double, repeated, packed = "false", tag = "11")]
    pub negative_count: Vec<f64>,
    /// Positive bucket spans.
    #[prost(message, repeated, tag = "12")]
    pub positive_span: Vec<BucketSpan>,
    /// Positive bucket counts as deltas (integer histograms).
    #[prost(sint64, repeated, packed = "false", tag = "13")]
    pub positive_delta: Vec<i64>,
    /// Positive bucket counts, absolute (float histograms).
    #[prost(double, repeated, packed = "false", tag = "14")]
    pub positive_count: Vec<f64>,
    /// Exemplars of a native histogram.
    #[prost(message, repeated, tag = "16")]
    pub exemplars: Vec<Exemplar>,
}

/// `Bucket`: one classic histogram bucket.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Bucket {
    /// Cumulative count.
    #[prost(uint64, optional, tag = "1")]
    pub cumulative_count: Option<u64>,
    /// Cumulative count as a float; overrides `cumulative_count` when > 0.
    #[prost(double, optional, tag = "4")]
    pub cumulative_count_float: Option<f64>,
    /// Inclusive upper bound.
    #[prost(double, optional, tag = "2")]
    pub upper_bound: Option<f64>,
    /// Exemplar of the bucket.
    #[prost(message, optional, tag = "3")]
    pub exemplar: Option<Exemplar>,
}

/// `BucketSpan`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct BucketSpan {
    /// Gap to the previous span (or start index for the first span).
    #[prost(sint32, optional, tag = "1")]
    pub offset: Option<i32>,
    /// Number of consecutive buckets.
    #[prost(uint32, optional, tag = "2")]
    pub length: Option<u32>,
}

/// `Exemplar`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Exemplar {
    /// Exemplar labels.
    #[prost(message, repeated, tag = "1")]
    pub label: Vec<LabelPair>,
    /// Exemplar value.
    #[prost(double, optional, tag = "2")]
    pub value: Option<f64>,
    /// Exemplar timestamp.
    #[prost(message, optional, tag = "3")]
    pub timestamp: Option<Timestamp>,
}

/// `Metric`: one series (or one summary/histogram) of a family.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Metric {
    /// Labels, without the metric name.
    #[prost(message, repeated, tag = "1")]
    pub label: Vec<LabelPair>,
    /// Set for gauges.
    #[prost(message, optional, tag = "2")]
    pub gauge: Option<Gauge>,
    /// Set for counters.
    #[prost(message, optional, tag = "3")]
    pub counter: Option<Counter>,
    /// Set for summaries.
    #[prost(message, optional, tag = "4")]
    pub summary: Option<Summary>,
    /// Set for untyped metrics.
    #[prost(message, optional, tag = "5")]
    pub untyped: Option<Untyped>,
    /// Set for histograms and gauge histograms.
    #[prost(message, optional, tag = "7")]
    pub histogram: Option<Histogram>,
    /// Sample timestamp in milliseconds.
    #[prost(int64, optional, tag = "6")]
    pub timestamp_ms: Option<i64>,
}

/// `MetricFamily`: the unit of the delimited format.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricFamily {
    /// Family name.
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// Help text.
    #[prost(string, optional, tag = "2")]
    pub help: Option<String>,
    /// Type.
    #[prost(enumeration = "MetricType", optional, tag = "3")]
    pub r#type: Option<i32>,
    /// The family's metrics.
    #[prost(message, repeated, tag = "4")]
    pub metric: Vec<Metric>,
    /// Unit.
    #[prost(string, optional, tag = "5")]
    pub unit: Option<String>,
}
