//! `credo` for Python (built by maturin from python/pyproject.toml).

use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "credo")]
fn credo_module(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
