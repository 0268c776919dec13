//! When an invitation's reminders fall due: at configured points of the
//! link's life ("after 2 and 5 days of a 7-day link"), counted back from
//! its expiry, so that a resend, a new link or "Extend 7 days" starts
//! the points over for the new period.

use time::{Duration, PrimitiveDateTime};

/// The reminder points, as times before expiry, earliest reminder first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderPoints {
    before_expiry: Vec<Duration>,
}

impl ReminderPoints {
    /// Reads "2,5" (days after the link is sent) for links that live
    /// `ttl_days`; each point must fall inside the link's life. Empty:
    /// no reminders.
    pub fn parse(days: &str, ttl_days: i64) -> Result<Self, String> {
        let mut points = Vec::new();
        for part in days.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let d: i64 = part
                .parse()
                .map_err(|_| format!("{part:?} is not a whole number of days"))?;
            if d <= 0 || d >= ttl_days {
                return Err(format!(
                    "{d}: a reminder must come after day 0 and before the link expires on day {ttl_days}"
                ));
            }
            points.push(d);
        }
        points.sort_unstable();
        points.dedup();
        Ok(Self {
            before_expiry: points
                .into_iter()
                .map(|d| Duration::days(ttl_days - d))
                .collect(),
        })
    }

    pub fn none() -> Self {
        Self {
            before_expiry: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.before_expiry.is_empty()
    }

    /// How long before expiry reminder `k` (0: the first) falls due.
    pub fn before_expiry(&self) -> &[Duration] {
        &self.before_expiry
    }

    /// Which reminder is due now for a pending link expiring at `expires`,
    /// given the expiry the reminders sent so far were for and how many
    /// points they covered: the latest point passed (a server down through
    /// two points sends one reminder, not two), or none once expired or
    /// when that point was already reminded.
    pub fn due(
        &self,
        expires: PrimitiveDateTime,
        now: PrimitiveDateTime,
        reminded_expiry: Option<PrimitiveDateTime>,
        reminded_points: i32,
    ) -> Option<usize> {
        if now >= expires {
            return None;
        }
        let passed = self
            .before_expiry
            .iter()
            .filter(|&&b| expires - b <= now)
            .count();
        let covered = match reminded_expiry {
            Some(e) if e == expires => usize::try_from(reminded_points).unwrap_or(0),
            _ => 0,
        };
        (passed > covered).then(|| passed - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn points_are_read_as_days_after_sending_and_checked() {
        let p = ReminderPoints::parse("5, 2,2", 7).unwrap();
        assert_eq!(p.before_expiry(), &[Duration::days(5), Duration::days(2)]);
        assert!(ReminderPoints::parse("", 7).unwrap().is_empty());
        assert!(ReminderPoints::parse("7", 7).is_err());
        assert!(ReminderPoints::parse("0", 7).is_err());
        assert!(ReminderPoints::parse("two", 7).is_err());
    }

    #[test]
    fn the_latest_passed_point_is_due_once_per_expiry() {
        let p = ReminderPoints::parse("2,5", 7).unwrap();
        let sent = datetime!(2026-12-01 10:00);
        let exp = sent + Duration::days(7);
        let at = |d: i64, h: i64| sent + Duration::days(d) + Duration::hours(h);
        assert_eq!(p.due(exp, at(1, 23), None, 0), None);
        assert_eq!(p.due(exp, at(2, 0), None, 0), Some(0));
        assert_eq!(p.due(exp, at(3, 0), Some(exp), 1), None);
        assert_eq!(p.due(exp, at(5, 1), Some(exp), 1), Some(1));
        assert_eq!(p.due(exp, at(6, 0), Some(exp), 2), None);
        // Down through both points: one reminder, the second.
        assert_eq!(p.due(exp, at(6, 0), None, 0), Some(1));
        // Expired: never.
        assert_eq!(p.due(exp, at(7, 0), None, 0), None);
        // Extended by 7 days: the points start over for the new expiry.
        let later = exp + Duration::days(7);
        assert_eq!(p.due(later, at(6, 0), Some(exp), 2), None);
        assert_eq!(p.due(later, at(9, 0), Some(exp), 2), Some(0));
    }
}
