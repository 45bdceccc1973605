//! `vigil tool tsdb`: promtool's `tsdb` commands (`list`, `dump`,
//! `dump-openmetrics`, `create-blocks-from openmetrics`, `analyze`, `bench write`). Errors
//! are printed as promtool prints them, with exit code 1.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use vigil_tool::tsdb::TsdbError;
use vigil_tool::tsdb::analyze::{AnalyzeOptions, analyze};
use vigil_tool::tsdb::backfill::{BackfillOptions, backfill};
use vigil_tool::tsdb::bench::{BenchWriteOptions, bench_write};
use vigil_tool::tsdb::dump::{DumpFormat, DumpOptions, dump};
use vigil_tool::tsdb::format::parse_go_duration;
use vigil_tool::tsdb::list::list;
use vigil_tool::tsdb::selector::parse_selector;

use super::FAILURE;

/// The default data directory.
const DEFAULT_DB: &str = "data/";

/// `vigil tool tsdb` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum TsdbCommand {
    /// Analyze churn, label pair cardinality and compaction efficiency.
    Analyze(AnalyzeArgs),
    /// List tsdb blocks.
    List(ListArgs),
    /// Dump data (series+samples or optionally just series) from a TSDB.
    Dump(DumpFormatArgs),
    /// [Experimental] Dump samples from a TSDB into OpenMetrics text format,
    /// excluding native histograms and staleness markers, which are not
    /// representable in OpenMetrics.
    #[command(name = "dump-openmetrics")]
    DumpOpenmetrics(DumpArgs),
    /// [Experimental] Import samples from input and produce TSDB blocks.
    #[command(name = "create-blocks-from")]
    CreateBlocksFrom(CreateBlocksArgs),
    /// Run benchmarks.
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// `vigil tool tsdb bench` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Run a write performance benchmark.
    Write(BenchWriteArgs),
}

/// Arguments of `tsdb bench write`.
#[derive(Debug, Args)]
pub(crate) struct BenchWriteArgs {
    /// Set the output path.
    #[arg(long, default_value = "benchout")]
    out: PathBuf,
    /// Number of metrics to read.
    #[arg(long, default_value_t = 10_000)]
    metrics: usize,
    /// Number of scrapes to simulate.
    #[arg(long, default_value_t = 3000)]
    scrapes: usize,
    /// Input file with samples data.
    #[arg(
        value_name = "file",
        default_value = "../../tsdb/testdata/20kseries.json"
    )]
    file: PathBuf,
}

/// Arguments of `tsdb list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Print human readable values.
    #[arg(short = 'r', long)]
    human_readable: bool,
    /// Database path.
    #[arg(value_name = "db path", default_value = DEFAULT_DB)]
    path: PathBuf,
}

/// Arguments of `tsdb dump` and `tsdb dump-openmetrics`.
#[derive(Debug, Args)]
pub(crate) struct DumpArgs {
    /// Minimum timestamp to dump, in milliseconds since the Unix epoch.
    #[arg(long, allow_negative_numbers = true, default_value_t = i64::MIN)]
    min_time: i64,
    /// Maximum timestamp to dump, in milliseconds since the Unix epoch.
    #[arg(long, allow_negative_numbers = true, default_value_t = i64::MAX)]
    max_time: i64,
    /// Series selector. Can be specified multiple times.
    #[arg(long = "match", default_value = "{__name__=~'(?s:.*)'}")]
    matchers: Vec<String>,
    /// Database path.
    #[arg(value_name = "db path", default_value = DEFAULT_DB)]
    path: PathBuf,
}

/// Output formats of `tsdb dump`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// `{labels} value timestamp` per sample.
    Prom,
    /// Each series' labels once, as JSON.
    Seriesjson,
}

/// Arguments of `tsdb dump`.
#[derive(Debug, Args)]
pub(crate) struct DumpFormatArgs {
    /// Output format of the dump.
    #[arg(long, value_enum, default_value_t = Format::Prom)]
    format: Format,
    #[command(flatten)]
    dump: DumpArgs,
}

/// Arguments of `tsdb create-blocks-from`.
#[derive(Debug, Args)]
pub(crate) struct CreateBlocksArgs {
    /// Print human readable values.
    #[arg(short = 'r', long, global = true)]
    human_readable: bool,
    /// Do not print created blocks.
    #[arg(short = 'q', long, global = true)]
    quiet: bool,
    /// Maximum duration created blocks may span. Anything less than 2h is ignored.
    #[arg(long, global = true, value_name = "duration", value_parser = duration_ms)]
    max_block_duration: Option<i64>,
    #[command(subcommand)]
    source: CreateBlocksSource,
}

/// Where `create-blocks-from` reads samples.
#[derive(Debug, Subcommand)]
enum CreateBlocksSource {
    /// Import samples from OpenMetrics input and produce TSDB blocks.
    Openmetrics(OpenMetricsArgs),
    /// Create blocks of data for new recording rules.
    Rules(RulesArgs),
}

/// Arguments of `tsdb create-blocks-from rules`.
#[derive(Debug, Args)]
struct RulesArgs {
    /// The URL for the Prometheus API with the data where the rule will be
    /// backfilled from.
    #[arg(long, default_value = "http://localhost:9090")]
    url: String,
    /// The time to start backfilling the new rule from. Must be a RFC3339
    /// formatted date or Unix timestamp. Required.
    #[arg(long, required = true)]
    start: String,
    /// If an end time is provided, all recording rules in the rule files
    /// provided will be backfilled to the end time. Default will backfill up
    /// to 3 hours ago. Must be a RFC3339 formatted date or Unix timestamp.
    #[arg(long)]
    end: Option<String>,
    /// Output directory for generated blocks.
    #[arg(long, default_value = "data/")]
    output_dir: PathBuf,
    /// How frequently to evaluate rules when backfilling if a value is not
    /// set in the recording rule files.
    #[arg(long, default_value = "60s", value_parser = duration_ms)]
    eval_interval: i64,
    /// A list of one or more files containing recording rules to be
    /// backfilled. All recording rules listed in the files will be
    /// backfilled. Alerting rules are not evaluated.
    #[arg(value_name = "rule-files", required = true)]
    files: Vec<String>,
}

/// Arguments of `tsdb create-blocks-from openmetrics`.
#[derive(Debug, Args)]
struct OpenMetricsArgs {
    /// Label to attach to metrics (`--label=label_name=label_value`). Can be
    /// specified multiple times.
    #[arg(long = "label", value_parser = label_pair)]
    labels: Vec<(String, String)>,
    /// OpenMetrics file to read samples from.
    #[arg(value_name = "input file")]
    input: PathBuf,
    /// Output directory for generated blocks.
    #[arg(value_name = "output directory", default_value = DEFAULT_DB)]
    output: PathBuf,
}

/// Arguments of `tsdb analyze`.
#[derive(Debug, Args)]
pub(crate) struct AnalyzeArgs {
    /// How many items to show in each list.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Run extended analysis.
    #[arg(long)]
    extended: bool,
    /// Series selector to analyze. Only 1 set of matchers is supported now.
    #[arg(long = "match")]
    matcher: Option<String>,
    /// Database path.
    #[arg(value_name = "db path", default_value = DEFAULT_DB)]
    path: PathBuf,
    /// Block to analyze (default is the last block).
    #[arg(value_name = "block id")]
    block_id: Option<String>,
}

fn duration_ms(s: &str) -> Result<i64, String> {
    parse_go_duration(s).ok_or_else(|| format!("time: invalid duration \"{s}\""))
}

fn label_pair(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected KEY=VALUE got '{s}'"))
}

/// Prints `err` as promtool does and yields exit code 1.
fn fail(err: impl std::fmt::Display) -> ExitCode {
    eprintln!("{err}");
    ExitCode::from(FAILURE)
}

fn finish(r: Result<(), TsdbError>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// Runs a `tsdb` subcommand.
pub(crate) fn run(cmd: TsdbCommand) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let code = match cmd {
        TsdbCommand::List(a) => finish(
            list(&a.path, a.human_readable)
                .and_then(|t| stdout.write_all(t.as_bytes()).map_err(TsdbError::Output)),
        ),
        TsdbCommand::Dump(a) => {
            let format = match a.format {
                Format::Prom => DumpFormat::Prom,
                Format::Seriesjson => DumpFormat::SeriesJson,
            };
            run_dump(a.dump, format, &mut stdout)
        }
        TsdbCommand::DumpOpenmetrics(a) => run_dump(a, DumpFormat::OpenMetrics, &mut stdout),
        TsdbCommand::CreateBlocksFrom(a) => run_backfill(a, &mut stdout),
        TsdbCommand::Analyze(a) => run_analyze(a, &mut stdout),
        TsdbCommand::Bench(BenchCommand::Write(a)) => {
            let opts = BenchWriteOptions {
                out: a.out,
                metrics: a.metrics,
                scrapes: a.scrapes,
            };
            finish(
                bench_write(&a.file, &opts)
                    .and_then(|t| stdout.write_all(t.as_bytes()).map_err(TsdbError::Output)),
            )
        }
    };
    stdout.flush().ok();
    Ok(code)
}

fn run_dump(a: DumpArgs, format: DumpFormat, out: &mut impl Write) -> ExitCode {
    let mut matchers = Vec::with_capacity(a.matchers.len());
    for m in &a.matchers {
        match parse_selector(m) {
            Ok(ms) => matchers.push(ms),
            Err(e) => return fail(e),
        }
    }
    let opts = DumpOptions {
        min_time: a.min_time,
        max_time: a.max_time,
        matchers,
    };
    finish(dump(&a.path, &opts, format, out))
}

fn run_backfill(a: CreateBlocksArgs, out: &mut impl Write) -> ExitCode {
    let om = match a.source {
        CreateBlocksSource::Openmetrics(om) => om,
        CreateBlocksSource::Rules(r) => return run_rules_backfill(r, a.max_block_duration),
    };
    let input = match std::fs::read(&om.input) {
        Ok(b) => b,
        Err(e) => return fail(format!("{}: {e}", Path::new(&om.input).display())),
    };
    let opts = BackfillOptions {
        max_block_duration: a.max_block_duration.unwrap_or(0),
        labels: om.labels,
        human_readable: a.human_readable,
        quiet: a.quiet,
    };
    finish(backfill(&input, &om.output, &opts, out).map(|_| ()))
}

fn run_rules_backfill(r: RulesArgs, max_block_duration: Option<i64>) -> ExitCode {
    use vigil_tool::tsdb::rules_backfill::{RulesBackfillOptions, backfill_rules, parse_time};
    let end = match r.end.as_deref() {
        None => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            Ok(now - 3 * 3600 * 1000)
        }
        Some(e) => parse_time(e).map_err(|m| format!("error parsing end time: {m}")),
    };
    let start = parse_time(&r.start).map_err(|m| format!("error parsing start time: {m}"));
    let (start, end) = match (start, end) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(m), _) | (_, Err(m)) => return fail(m),
    };
    let opts = RulesBackfillOptions {
        url: r.url,
        start,
        end,
        output_dir: r.output_dir,
        eval_interval: r.eval_interval,
        max_block_duration: max_block_duration.unwrap_or(0),
    };
    finish(backfill_rules(&r.files, &opts).map(|_| ()))
}

fn run_analyze(a: AnalyzeArgs, out: &mut impl Write) -> ExitCode {
    let matcher = match a.matcher.filter(|m| !m.is_empty()) {
        Some(text) => match parse_selector(&text) {
            Ok(ms) => Some((text, ms)),
            Err(e) => return fail(e),
        },
        None => None,
    };
    let opts = AnalyzeOptions {
        block_id: a.block_id,
        limit: a.limit,
        extended: a.extended,
        matcher,
    };
    finish(
        analyze(&a.path, &opts)
            .and_then(|t| out.write_all(t.as_bytes()).map_err(TsdbError::Output)),
    )
}
