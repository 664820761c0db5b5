//! `credo` for Python: load a policy set, evaluate one account (a dict or a
//! JSON string) into the JSON contract of `credo eval`, or a whole Arrow
//! stream into an Arrow table with the columns of `credo batch
//! --output-format parquet`, and tally the impact of a policy change in
//! summaries that merge exactly across partitions.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::pyarrow::{FromPyArrow as _, IntoPyArrow as _, Table};
use arrow::record_batch::RecordBatchReader as _;
use chrono::NaiveDate;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError, PyUserWarning, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use credo::engine::eval::Request;
use credo::engine::outcome::AsOfSource;
use credo::input::facts::{self, FactProblem, Facts, Format};
use credo::tools::batch::columnar::{Columns, RowSource, unknown_columns};
use credo::tools::batch::impact::Impact as Tally;
use credo::tools::batch::{Options, Record, SlotReader};
use credo::{Checked, Program, Source, Sources};

/// Arrow's output buffers are large blocks, which glibc serves from fresh
/// pages by `mmap` and unmaps when freed: every call (a Spark worker makes
/// one per batch) paid for clearing those pages again. mimalloc keeps freed
/// memory for the next call.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

create_exception!(
    credo,
    PolicyError,
    PyException,
    "The policy set has errors; `diagnostics` lists each (code, message, file, line, help)."
);
create_exception!(
    credo,
    FactsError,
    PyValueError,
    "The facts cannot be read; `problems` lists each (path, message, help)."
);

/// A checked policy set, ready to evaluate accounts.
#[pyclass(frozen, module = "credo")]
struct PolicySet {
    program: Arc<Program>,
    reader: Arc<SlotReader>,
    hash: String,
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// A date from a `datetime.date` or a `YYYY-MM-DD` string.
fn date(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<NaiveDate>> {
    let Some(value) = value else { return Ok(None) };
    if value.is_none() {
        return Ok(None);
    }
    // A `datetime` or a pandas `Timestamp` is a day too: its `date()`.
    let value = match value.call_method0("date") {
        Ok(day) if !value.is_instance_of::<pyo3::types::PyString>() => day,
        _ => value.clone(),
    };
    let text = value.str()?.to_string();
    facts::parse_date(&text)
        .map(Some)
        .ok_or_else(|| PyValueError::new_err(format!("`{text}` is not a date; write YYYY-MM-DD")))
}

/// Python's `json.loads` of a JSON text.
fn loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

/// Every diagnostic of a failed check as a `PolicyError`.
fn policy_error(py: Python<'_>, checked: &Checked) -> PyErr {
    let json = credo::lang::diagnostics::to_json(&checked.sources, &checked.diagnostics);
    let text = serde_json::to_string(&json).unwrap_or_else(|_| "[]".into());
    let errors: Vec<String> = json
        .iter()
        .filter(|d| matches!(d.severity, credo::lang::diagnostics::Severity::Error))
        .map(|d| format!("{}:{}: {} [{}]", d.file, d.line, d.message, d.code))
        .collect();
    let err = PolicyError::new_err(format!(
        "the policy set has {} error(s):\n{}",
        errors.len(),
        errors.join("\n")
    ));
    if let Ok(list) = loads(py, &text) {
        let _ = err.value(py).setattr("diagnostics", list);
    }
    err
}

fn facts_error(py: Python<'_>, problems: &[FactProblem]) -> PyErr {
    let list = PyList::empty(py);
    let mut lines = Vec::new();
    for p in problems {
        let item = PyDict::new(py);
        let _ = item.set_item("path", &p.path);
        let _ = item.set_item("message", &p.message);
        let _ = item.set_item("help", p.help.as_deref());
        let _ = list.append(item);
        lines.push(if p.path.is_empty() {
            p.message.clone()
        } else {
            format!("{}: {}", p.path, p.message)
        });
    }
    let err = FactsError::new_err(lines.join("\n"));
    let _ = err.value(py).setattr("problems", list);
    err
}

impl PolicySet {
    fn from_checked(py: Python<'_>, mut checked: Checked) -> PyResult<PolicySet> {
        let program = match checked.program.take() {
            Some(program) if !checked.has_errors() => program,
            _ => return Err(policy_error(py, &checked)),
        };
        let hash = program.policy_hash.to_string();
        Ok(PolicySet {
            reader: Arc::new(SlotReader::new(&program.schema)),
            program: Arc::new(program),
            hash,
        })
    }

    /// Loads facts given as a dict (dates and decimals as their text) or JSON.
    fn facts(&self, py: Python<'_>, facts: &Bound<'_, PyAny>) -> PyResult<facts::Loaded> {
        let text: String = if let Ok(text) = facts.extract::<String>() {
            text
        } else {
            let json = py.import("json")?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("default", py.get_type::<pyo3::types::PyString>())?;
            json.call_method("dumps", (facts,), Some(&kwargs))?
                .extract()?
        };
        let loaded = facts::load_text(&self.program.schema, &text, Format::Json)
            .map_err(|problems| facts_error(py, &problems))?;
        // What `credo eval` warns of (a field no fact has, with the closest
        // one), said as `UserWarning`s rather than dropped.
        warn_unknown(py, &loaded.warnings)?;
        Ok(loaded)
    }

    fn request_dates(&self, loaded: &Facts, as_of: Option<NaiveDate>) -> (NaiveDate, AsOfSource) {
        match as_of {
            Some(d) => (d, AsOfSource::Option),
            None => match loaded.as_of(&self.program.schema) {
                Some(d) => (d, AsOfSource::Facts),
                None => (today(), AsOfSource::Today),
            },
        }
    }

    /// The decisions asked for, each once, as `credo batch --decision`
    /// takes them; an unknown id is an error with the closest known one.
    fn chosen(&self, decisions: Option<Vec<String>>) -> PyResult<Vec<String>> {
        self.program
            .decisions_asked(&decisions.unwrap_or_default())
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    fn options(&self, decisions: &[String], as_of: Option<NaiveDate>, record: Record) -> Options {
        let mut options = Options::new(1, as_of, today());
        options.decisions = decisions
            .iter()
            .filter_map(|id| self.program.decisions.iter().position(|d| d.id == *id))
            .map(|i| i as u32)
            .collect();
        options.record = record;
        options.id = self.program.schema.slot("account.id");
        options
    }
}

#[pymethods]
impl PolicySet {
    /// Loads and checks every `*.credo` file in a directory.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<PolicySet> {
        // A directory that cannot be read is a policy set with an error,
        // as `credo check` says (E0004), not some other exception.
        let checked = py.detach(|| credo::load_dir(&path)).map_err(|e| {
            let message = format!("{}: {e}", path.display());
            let err = PolicyError::new_err(format!("the policy set has 1 error(s):\n{message}"));
            let diagnostic = PyDict::new(py);
            let filled = [
                ("code", credo::lang::diagnostics::codes::UNREADABLE),
                ("severity", "error"),
                ("message", &message),
                ("file", &path.display().to_string()),
            ]
            .into_iter()
            .try_for_each(|(key, value)| diagnostic.set_item(key, value));
            if filled.is_ok() {
                let _ = err
                    .value(py)
                    .setattr("diagnostics", PyList::new(py, [diagnostic]).ok());
            }
            err
        })?;
        PolicySet::from_checked(py, checked)
    }

    /// Checks policy sources given as `{file name: text}`.
    #[staticmethod]
    fn from_sources(py: Python<'_>, sources: BTreeMap<String, String>) -> PyResult<PolicySet> {
        let mut all = Sources::default();
        for (name, text) in sources {
            all.add(Source::new(name, text));
        }
        let checked = py.detach(|| credo::check_sources(all));
        PolicySet::from_checked(py, checked)
    }

    /// The policy set's content hash (`sha256:..`), which every record names.
    #[getter]
    fn hash(&self) -> String {
        self.hash.clone()
    }

    /// The decision ids, in policy order.
    #[getter]
    fn decisions(&self) -> Vec<String> {
        self.program
            .decisions
            .iter()
            .map(|d| d.id.clone())
            .collect()
    }

    /// Evaluates one account: the JSON contract of `credo eval --format json`.
    #[pyo3(signature = (facts, decisions=None, as_of=None))]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        facts: &Bound<'py, PyAny>,
        decisions: Option<Vec<String>>,
        as_of: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let decisions = self.chosen(decisions)?;
        let loaded = self.facts(py, facts)?;
        let (as_of, as_of_source) = self.request_dates(&loaded.facts, date(as_of)?);
        let request = Request {
            as_of,
            as_of_source,
            decisions: &decisions,
        };
        let evaluation = self
            .program
            .evaluate(&loaded.facts, &request)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        loads(py, &credo::engine::render::json(&evaluation))
    }

    /// Traces the decisions: every rule and row, each condition with the
    /// facts it read (the JSON of `credo explain --format json`).
    #[pyo3(signature = (facts, decisions=None, as_of=None))]
    fn explain<'py>(
        &self,
        py: Python<'py>,
        facts: &Bound<'py, PyAny>,
        decisions: Option<Vec<String>>,
        as_of: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let decisions = self.chosen(decisions)?;
        let loaded = self.facts(py, facts)?;
        let (as_of, as_of_source) = self.request_dates(&loaded.facts, date(as_of)?);
        let request = Request {
            as_of,
            as_of_source,
            decisions: &decisions,
        };
        let explanation = credo::tools::explain::explain(&self.program, &loaded.facts, &request)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        loads(py, &credo::tools::explain::json(&explanation))
    }

    /// The smallest changes to the facts that give `decision` the outcome
    /// `to` (the other one when not given), as `credo whatif` prints them.
    #[pyo3(signature = (facts, decision, to=None, as_of=None))]
    fn whatif<'py>(
        &self,
        py: Python<'py>,
        facts: &Bound<'py, PyAny>,
        decision: &str,
        to: Option<&str>,
        as_of: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<String> {
        let loaded = self.facts(py, facts)?;
        let (as_of, _) = self.request_dates(&loaded.facts, date(as_of)?);
        let target = credo::tools::whatif::target(&self.program, decision, to)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let answer =
            credo::tools::whatif::whatif(&self.program, &loaded.facts, as_of, decision, target)
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(credo::tools::whatif::render(&self.program, &answer))
    }

    /// Evaluates every row of an Arrow stream (a pyarrow Table or
    /// RecordBatchReader, a polars DataFrame: anything with
    /// `__arrow_c_stream__`), columns named by fact path, into a pyarrow
    /// Table with a row per account. The GIL is released while it runs.
    /// `dictionaries=False` builds the columns of words as plain strings,
    /// for consumers that take no dictionaries (Spark's `mapInArrow`).
    #[pyo3(signature = (data, decisions=None, as_of=None, record="compact", jobs=1, dictionaries=true))]
    // Each is a keyword argument of the Python method.
    #[allow(clippy::too_many_arguments)]
    fn evaluate_arrow<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        decisions: Option<Vec<String>>,
        as_of: Option<&Bound<'py, PyAny>>,
        record: &str,
        jobs: usize,
        dictionaries: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let decisions = self.chosen(decisions)?;
        // Columns carry rule ids, never messages: a full record (which
        // `evaluate` gives) is refused rather than given compact.
        let record = match record {
            "compact" => Record::Compact,
            "full" => {
                return Err(PyValueError::new_err(
                    "evaluate_arrow gives the compact record's columns (rule ids, never messages); \
                     record=\"full\" is for JSON records: use evaluate, or leave record out",
                ));
            }
            other => {
                return Err(PyValueError::new_err(format!(
                    "record must be `compact`, not `{other}`"
                )));
            }
        };
        // As `credo batch --jobs`: at least one, and no more than a 16-bit
        // count (a huge count would start threads until the system refused).
        if !(1..=usize::from(u16::MAX)).contains(&jobs) {
            return Err(PyValueError::new_err(format!(
                "jobs must be from 1 to {}, not {jobs}",
                u16::MAX
            )));
        }
        let mut options = self.options(&decisions, date(as_of)?, record);
        options.jobs = jobs;
        options.dictionaries = dictionaries;
        let stream = arrow_stream(data)?;
        let unknown = unknown_columns(&stream.schema(), &self.program.schema);
        let program = self.program.clone();
        let (schema, batches, _) = py
            .detach(move || {
                credo::tools::batch::collect_rows(&program, RowSource::new(stream), &options)
            })
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        warn_unknown(py, &unknown)?;
        Table::try_new(batches, schema)
            .map_err(|e| PyValueError::new_err(e.to_string()))?
            .into_pyarrow(py)
    }
}

/// The impact of a policy change: flips per decision, money totals before
/// and after. Summaries of partitions merge exactly.
#[pyclass(module = "credo", skip_from_py_object)]
#[derive(Clone)]
struct Impact {
    tally: Tally,
}

#[pymethods]
impl Impact {
    /// An empty summary.
    #[new]
    fn new() -> Impact {
        Impact {
            tally: Tally::default(),
        }
    }

    /// This summary and `other` together, as if over both their accounts.
    fn merge(&self, other: &Impact) -> Impact {
        let mut tally = self.tally.clone();
        tally.merge(&other.tally);
        Impact { tally }
    }

    /// The summary as JSON text, to ship between processes.
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.tally).map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// A summary from [`Impact::to_json`]'s text.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Impact> {
        serde_json::from_str(text)
            .map(|tally| Impact { tally })
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// The summary as a dict: accounts, undated, failed, and per decision
    /// changed, flips (`"from -> to": count`), before, after (money totals),
    /// undetermined_before and undetermined_after.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        loads(py, &self.to_json()?)
    }

    #[getter]
    fn accounts(&self) -> u64 {
        self.tally.accounts
    }

    fn __eq__(&self, other: &Impact) -> bool {
        self.tally == other.tally
    }

    fn __repr__(&self) -> String {
        let changed: u64 = self.tally.decisions.values().map(|d| d.changed).sum();
        format!(
            "Impact(accounts={}, changed outcomes={changed})",
            self.tally.accounts
        )
    }
}

/// `data` as an Arrow stream; a `TypeError` that says what is taken when it
/// is not one (pyarrow's own message, kept after it, names only
/// `RecordBatchReader`).
fn arrow_stream(data: &Bound<'_, PyAny>) -> PyResult<arrow::ffi_stream::RecordBatchStreamReader> {
    let checked = checked_stream(data)?;
    arrow::ffi_stream::RecordBatchStreamReader::from_pyarrow_bound(&checked).map_err(|e| {
        let given = data
            .get_type()
            .name()
            .map_or_else(|_| "?".to_owned(), |n| n.to_string());
        PyTypeError::new_err(format!(
            "expected an Arrow stream (a pyarrow Table or RecordBatchReader, a polars \
             DataFrame, anything with `__arrow_c_stream__`), not {given} ({e})"
        ))
    })
}

/// `data` with each batch checked against the stream's schema as it is
/// read (`checked_stream.py`): the C stream interface trusts the producer,
/// and a batch of another schema would be read past its buffers.
fn checked_stream<'py>(data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    // Compiled once per process, not per call (a Spark worker calls once a batch).
    static CHECKED: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    let py = data.py();
    let checked = CHECKED.get_or_try_init(py, || {
        let code = std::ffi::CString::new(include_str!("checked_stream.py"))
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let module =
            PyModule::from_code(py, &code, c"checked_stream.py", c"credo._checked_stream")?;
        PyResult::Ok(module.getattr("checked")?.unbind())
    })?;
    // Anything that is no Arrow stream is left to the reader's own error.
    Ok(checked
        .bind(py)
        .call1((data,))
        .unwrap_or_else(|_| data.clone()))
}

/// Says each problem as a `UserWarning`: the input's columns that are no
/// fact (once a call: the columns are every row's), or one account's
/// warnings.
fn warn_unknown(py: Python<'_>, unknown: &[FactProblem]) -> PyResult<()> {
    for problem in unknown {
        let mut text = format!("{}: {}", problem.path, problem.message);
        if let Some(help) = &problem.help {
            text.push_str(&format!("; {help}"));
        }
        let text =
            std::ffi::CString::new(text).map_err(|e| PyValueError::new_err(e.to_string()))?;
        PyErr::warn(py, &py.get_type::<PyUserWarning>(), &text, 1)?;
    }
    Ok(())
}

/// Evaluates every row of an Arrow stream under the `old` and the `new`
/// policy sets and tallies what changes, as `credo diff` does.
#[pyfunction]
#[pyo3(signature = (old, new, data, as_of=None))]
fn diff_arrow(
    py: Python<'_>,
    old: &PolicySet,
    new: &PolicySet,
    data: &Bound<'_, PyAny>,
    as_of: Option<&Bound<'_, PyAny>>,
) -> PyResult<Impact> {
    // As `credo diff --as-of`: a date given overrides each account's own.
    let as_of = date(as_of)?;
    let today = today();
    let stream = arrow_stream(data)?;
    // A column either set knows is used by it: only one neither knows is said.
    let unknown_to_old = unknown_columns(&stream.schema(), &old.program.schema);
    let unknown: Vec<FactProblem> = unknown_columns(&stream.schema(), &new.program.schema)
        .into_iter()
        .filter(|p| unknown_to_old.iter().any(|o| o.path == p.path))
        .collect();
    let (old_program, new_program) = (old.program.clone(), new.program.clone());
    let (old_reader, new_reader) = (old.reader.clone(), new.reader.clone());
    let tally = py.detach(move || -> Result<Tally, String> {
        let mut tally = Tally::new(&old_program, &new_program);
        let mut verdicts = credo::engine::verdict::Verdicts::default();
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for batch in stream {
            let batch = batch.map_err(|e| e.to_string())?;
            let old_columns = Columns::resolve(&old_program, &batch);
            let new_columns = Columns::resolve(&new_program, &batch);
            for row in 0..batch.num_rows() {
                let was = old_columns.facts(&old_program, &old_reader, row, &mut before);
                let now = new_columns.facts(&new_program, &new_reader, row, &mut after);
                match (was, now) {
                    (Some(was), Some(now)) => tally.add(
                        (&old_program, &was),
                        (&new_program, &now),
                        as_of,
                        today,
                        &mut verdicts,
                    ),
                    _ => tally.failed += 1,
                }
            }
        }
        Ok(tally)
    });
    let tally = tally.map_err(PyValueError::new_err)?;
    warn_unknown(py, &unknown)?;
    Ok(Impact { tally })
}

#[pymodule]
#[pyo3(name = "credo")]
fn credo_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PolicySet>()?;
    m.add_class::<Impact>()?;
    m.add_function(wrap_pyfunction!(diff_arrow, m)?)?;
    m.add("PolicyError", m.py().get_type::<PolicyError>())?;
    m.add("FactsError", m.py().get_type::<FactsError>())?;
    Ok(())
}
