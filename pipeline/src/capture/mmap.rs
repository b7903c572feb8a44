//! A whole file as one Arrow [`Buffer`]: memory-mapped read-only where the platform allows
//! (so several readers of one capture share the page cache and touch only the columns they
//! decode), read into memory otherwise. The mapping lives as long as any buffer sliced from
//! it. A mapped file must not be truncated while it is mapped (the process would get
//! `SIGBUS`); captures are written once, under a temporary name, and never modified.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use arrow_buffer::Buffer;

use super::CaptureError;

/// The bytes of `path` as a buffer.
pub(crate) fn map_file(path: &Path) -> Result<Buffer, CaptureError> {
    let file = File::open(path).map_err(super::read_error(path))?;
    let len = file.metadata().map_err(super::read_error(path))?.len();
    let len = usize::try_from(len).map_err(|_| CaptureError::BadArrow {
        path: path.display().to_string(),
        why: format!("{len} bytes do not fit in memory"),
    })?;
    #[cfg(unix)]
    if let Some(buffer) = unix::map(&file, len) {
        return Ok(buffer);
    }
    let mut data = Vec::with_capacity(len);
    let mut file = file;
    file.read_to_end(&mut data)
        .map_err(super::read_error(path))?;
    Ok(Buffer::from_vec(data))
}

#[cfg(unix)]
mod unix {
    use std::fs::File;
    use std::os::fd::AsRawFd;
    use std::ptr::NonNull;
    use std::sync::Arc;

    use arrow_buffer::Buffer;

    /// A read-only private mapping, unmapped on drop.
    struct Mapping {
        ptr: NonNull<u8>,
        len: usize,
    }

    // SAFETY: the mapping is read-only and owned by this value alone; sharing a pointer to
    // immutable bytes between threads is sound.
    unsafe impl Send for Mapping {}
    // SAFETY: as above, nothing mutates the mapped bytes through this value.
    unsafe impl Sync for Mapping {}
    impl std::panic::RefUnwindSafe for Mapping {}

    impl Drop for Mapping {
        fn drop(&mut self) {
            // SAFETY: `ptr`/`len` are exactly what `mmap` returned, unmapped only here.
            unsafe {
                libc::munmap(self.ptr.as_ptr().cast(), self.len);
            }
        }
    }

    /// Maps `len` bytes of `file`; `None` when the file is empty or cannot be mapped.
    pub(super) fn map(file: &File, len: usize) -> Option<Buffer> {
        if len == 0 {
            return None;
        }
        // SAFETY: a fresh read-only private mapping of an open file; the kernel picks the
        // address. The result is checked against MAP_FAILED before use.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return None;
        }
        let ptr = NonNull::new(ptr.cast::<u8>())?;
        let mapping = Arc::new(Mapping { ptr, len });
        // SAFETY: the mapping is valid for `len` bytes and `mapping` keeps it alive as long
        // as the buffer (and every slice of it) exists.
        Some(unsafe { Buffer::from_custom_allocation(ptr, len, mapping) })
    }
}
