//! routinely's runtime.
