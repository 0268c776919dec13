//! The app's clock. Tests move it forward to expire sessions, links and invitations.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

#[derive(Clone, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> PrimitiveDateTime {
        let now =
            OffsetDateTime::now_utc() + Duration::seconds(self.offset_secs.load(Ordering::Relaxed));
        PrimitiveDateTime::new(now.date(), now.time())
    }

    pub fn unix(&self) -> i64 {
        self.now().assume_utc().unix_timestamp()
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_secs
            .fetch_add(by.whole_seconds(), Ordering::Relaxed);
    }
}
