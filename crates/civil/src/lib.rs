//! Calendar arithmetic for the timestamps svcpack writes: Unix seconds ↔ (year, month,
//! day) in the proleptic Gregorian calendar (Howard Hinnant's algorithms), and the DOS
//! date/time pair that cabinets and zip entries store. One implementation for the cabinet
//! writer, the zip writer, the copyright year and signature times.

/// Days since 1970-01-01 to (year, month 1–12, day 1–31).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// (year, month 1–12, day 1–31) to days since 1970-01-01.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The UTC calendar year of a Unix timestamp.
pub fn year_of_unix_time(secs: i64) -> i64 {
    civil_from_days(secs.div_euclid(86_400)).0
}

/// Unix seconds to a DOS `(date, time)` pair in UTC, clamped to 1980-01-01 00:00:00 ..
/// 2107-12-31 23:59:58, the range the 7-bit year field can hold. Odd seconds round down:
/// DOS stores two-second steps.
pub fn dos_date_time(ts: u64) -> (u16, u16) {
    const MIN: u64 = 315_532_800; // 1980-01-01T00:00:00Z
    const END: u64 = 4_354_819_200; // 2108-01-01T00:00:00Z
    if ts < MIN {
        return ((1 << 5) | 1, 0);
    }
    if ts >= END {
        return ((127 << 9) | (12 << 5) | 31, (23 << 11) | (59 << 5) | 29);
    }
    let (y, m, d) = civil_from_days((ts / 86_400) as i64);
    let secs = (ts % 86_400) as u32;
    let date = (((y - 1980) as u16) << 9) | ((m as u16) << 5) | d as u16;
    let (h, min, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let time = ((h as u16) << 11) | ((min as u16) << 5) | (s / 2) as u16;
    (date, time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_days_and_dates() {
        for days in [-719_468, -1, 0, 10_957, 11_016, 19_782, 50_403, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(
                days_from_civil(y, i64::from(m), i64::from(d)),
                days,
                "{days}"
            );
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(50_403), (2108, 1, 1));
        assert_eq!(year_of_unix_time(-1), 1969);
        assert_eq!(year_of_unix_time(1_704_067_200), 2024);
    }
}
