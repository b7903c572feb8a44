//! The row path of routinely.
