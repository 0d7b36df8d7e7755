//! Sources of accounts that Postern takes over from another system.

mod backlume;

pub use backlume::BacklumeSource;
