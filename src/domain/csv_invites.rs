//! A CSV file of invitations as the invite page reads it, and the classes a
//! row falls into. Pure: no database. The file is refused as a whole (with
//! a sentence saying why) when it is too big, has too many rows, is not
//! UTF-8 text, holds control characters, or names no column to invite;
//! otherwise every non-empty row is read, whatever it holds, and the dry
//! run classifies it.

use super::{InviteOutcome, Recipient};

/// Largest file read, in bytes.
pub const MAX_BYTES: usize = 1024 * 1024;
/// Most rows a file may hold (its header not counted).
pub const MAX_ROWS: usize = 5000;
/// Most characters kept of a cell (a message has at most 1,000; the rest
/// are far shorter): a longer one is cut where it is kept and shown.
const CELL_MAX: usize = 2000;

/// One row of the file, its cells trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    /// The line of the file it starts on (the header is line 1).
    pub line: i32,
    /// The `email` cell, else the `username` one.
    pub entry: String,
    pub community: String,
    pub role: String,
    pub message: String,
}

impl CsvRow {
    pub fn recipient(&self) -> Recipient {
        Recipient::parse(&self.entry)
    }
}

/// Why a file was refused as a whole; nothing of it was kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    Empty,
    TooBig,
    TooManyRows,
    NotUtf8,
    Unusable,
    NoEntryColumn,
    NoRows,
    Malformed { line: u64, why: String },
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => write!(f, "Choose a CSV file to upload."),
            Self::TooBig => write!(
                f,
                "The file is larger than 1 MB. Split it into smaller files of at most {MAX_ROWS} rows. Nothing was read."
            ),
            Self::TooManyRows => write!(
                f,
                "The file has more than {MAX_ROWS} rows. Split it into smaller files. Nothing was read."
            ),
            Self::NotUtf8 => write!(
                f,
                "The file is not UTF-8 text. Save it as \u{201c}CSV UTF-8\u{201d} and upload it again. Nothing was read."
            ),
            Self::Unusable => write!(
                f,
                "The file contains characters that cannot be used (such as NUL or other control characters). Nothing was read."
            ),
            Self::NoEntryColumn => write!(
                f,
                "The first line must name the columns: email (or username), and optionally community, role and message."
            ),
            Self::NoRows => write!(f, "The file has no rows below its first line."),
            Self::Malformed { line, why } => {
                write!(f, "Line {line} cannot be read ({why}). Nothing was read.")
            }
        }
    }
}

/// Reads `bytes` as a CSV of invitations: UTF-8 with or without a BOM,
/// `,` or `;` between cells (whichever the first line holds more of),
/// fields quoted or not. The first line names the columns, in any order
/// and case; others are ignored.
pub fn read(bytes: &[u8]) -> Result<Vec<CsvRow>, FileError> {
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(FileError::TooBig);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| FileError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
    {
        return Err(FileError::Unusable);
    }
    let header = text.lines().next().unwrap_or_default();
    let separator = if header.matches(';').count() > header.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let names: Vec<String> = reader
        .headers()
        .map_err(|e| malformed(&e, 1))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let column = |name: &str| names.iter().position(|n| n == name);
    let (email, username) = (column("email"), column("username"));
    if email.is_none() && username.is_none() {
        return Err(FileError::NoEntryColumn);
    }
    let (community, role, message) = (column("community"), column("role"), column("message"));
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| malformed(&e, 0))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(FileError::TooManyRows);
        }
        let cell = |i: Option<usize>| -> String {
            let v = i.and_then(|i| record.get(i)).unwrap_or_default();
            v.chars().take(CELL_MAX).collect()
        };
        let entry = match cell(email) {
            e if e.is_empty() => cell(username),
            e => e,
        };
        let line = record.position().map_or(0, |p| p.line());
        rows.push(CsvRow {
            line: i32::try_from(line).unwrap_or(i32::MAX),
            entry,
            community: cell(community),
            role: cell(role),
            message: cell(message).replace("\r\n", "\n"),
        });
    }
    if rows.is_empty() {
        return Err(FileError::NoRows);
    }
    Ok(rows)
}

fn malformed(e: &csv::Error, fallback: u64) -> FileError {
    let line = e.position().map_or(fallback, |p| p.line());
    let why = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_string(),
        _ => "a quote is not closed, or a cell is malformed".to_string(),
    };
    FileError::Malformed { line, why }
}

/// A cell as a CSV this app writes keeps it: one that a spreadsheet would
/// run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return) gets a leading `'`, so it opens as text.
pub fn escape_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Writes rows (each a list of cells) as CSV under `header`, every cell
/// escaped, with a BOM so spreadsheets read it as UTF-8.
pub fn write<'a>(header: &[&str], rows: impl Iterator<Item = Vec<&'a str>>) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    // Writing to memory fails only on a ragged row, which a caller's
    // fixed rows never are.
    let _ = out.write_record(header);
    for row in rows {
        let _ = out.write_record(row.iter().map(|c| escape_cell(c).into_owned()));
    }
    out.into_inner().unwrap_or_default()
}

/// What a row came to, in the dry run and after sending: one of the form's
/// outcomes, or one only a file can have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowClass {
    /// The dry run found nothing against it.
    WillInvite,
    Outcome(InviteOutcome),
    /// A role that the group has not, or that the inviter may not give.
    UnknownRole(String),
    /// A community that is not one of the group's managed communities (or
    /// one the inviter may not invite to).
    UnknownCommunity(String),
    /// The same person into the same place as an earlier line.
    DuplicateRow(i32),
    MessageTooLong,
}

impl RowClass {
    /// What `row_outcome`/`detail` keep.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WillInvite => "will_invite",
            Self::Outcome(o) => o.code(),
            Self::UnknownRole(_) => "unknown_role",
            Self::UnknownCommunity(_) => "unknown_community",
            Self::DuplicateRow(_) => "duplicate_row",
            Self::MessageTooLong => "message_too_long",
        }
    }

    pub fn detail(&self) -> String {
        match self {
            Self::Outcome(InviteOutcome::NotAllowed(why)) => why.clone(),
            Self::UnknownRole(r) | Self::UnknownCommunity(r) => r.clone(),
            Self::DuplicateRow(line) => line.to_string(),
            _ => String::new(),
        }
    }

    pub fn from_code(code: &str, detail: &str) -> Self {
        match code {
            "will_invite" => Self::WillInvite,
            "unknown_role" => Self::UnknownRole(detail.into()),
            "unknown_community" => Self::UnknownCommunity(detail.into()),
            "duplicate_row" => Self::DuplicateRow(detail.parse().unwrap_or_default()),
            "message_too_long" => Self::MessageTooLong,
            other => Self::Outcome(InviteOutcome::from_code(other, detail)),
        }
    }

    /// Whether the row went out (or, in the dry run, will).
    pub fn is_success(&self) -> bool {
        match self {
            Self::WillInvite => true,
            Self::Outcome(o) => o.is_success(),
            _ => false,
        }
    }

    /// The row's outcome in a sentence part, as the page lists it.
    pub fn label(&self) -> String {
        match self {
            Self::WillInvite => "will be invited".into(),
            Self::Outcome(InviteOutcome::InvalidEntry) => {
                "bad address: neither an e-mail address nor a username".into()
            }
            Self::Outcome(o) => o.label(),
            Self::UnknownRole(r) if r.is_empty() => "unknown role".into(),
            Self::UnknownRole(r) => {
                format!("unknown role \u{201c}{r}\u{201d}: not one you may give here")
            }
            Self::UnknownCommunity(c) => {
                format!(
                    "unknown community \u{201c}{c}\u{201d}: not a managed community you may invite to"
                )
            }
            Self::DuplicateRow(line) => format!("duplicate row: the same as line {line}"),
            Self::MessageTooLong => format!(
                "message too long: at most {} characters",
                super::MESSAGE_MAX
            ),
        }
    }

    /// The class's name in the counts, for `n` rows: "3 will be invited".
    pub fn counted(code: &str, n: i64) -> String {
        let (one, many) = match code {
            "will_invite" => ("will be invited", "will be invited"),
            "unknown_role" => ("unknown role", "unknown roles"),
            "unknown_community" => ("unknown community", "unknown communities"),
            "duplicate_row" => ("duplicate row", "duplicate rows"),
            "message_too_long" => ("message too long", "messages too long"),
            "invalid_entry" => ("bad address", "bad addresses"),
            other => return InviteOutcome::from_code(other, "").counted(n),
        };
        format!("{n} {}", if n == 1 { one } else { many })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_commas_semicolons_quotes_and_a_bom() {
        let rows = read(
            "\u{feff}Email,Role,Message\n\
             ann@example.com,GroupMember,\"Hello, Ann\nsee you\"\n\
             \n\
             , ,\n\
             bob@example.com,,\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].entry, "ann@example.com");
        assert_eq!(rows[0].message, "Hello, Ann\nsee you");
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[1].line, 6, "lines count the quoted break and blanks");
        let rows = read(b"username;community\n bob ;eng\n").unwrap();
        assert_eq!(
            (rows[0].entry.as_str(), rows[0].community.as_str()),
            ("bob", "eng")
        );
        assert_eq!(
            read(b"email;community\n\"a;b@example.com\";x\n").unwrap()[0].entry,
            "a;b@example.com"
        );
    }

    #[test]
    fn refuses_whole_files() {
        assert_eq!(read(b""), Err(FileError::Empty));
        assert_eq!(read(b"name,role\nann,x\n"), Err(FileError::NoEntryColumn));
        assert_eq!(read(b"email\n\n"), Err(FileError::NoRows));
        assert_eq!(read(b"email\na\0b@example.com\n"), Err(FileError::Unusable));
        assert_eq!(read(b"email\n\xff\xfe\n"), Err(FileError::NotUtf8));
        assert_eq!(read(&vec![b'a'; MAX_BYTES + 1]), Err(FileError::TooBig));
        let many = format!("email\n{}", "a@example.com\n".repeat(MAX_ROWS + 1));
        assert_eq!(read(many.as_bytes()), Err(FileError::TooManyRows));
        let just = format!("email\n{}", "a@example.com\n".repeat(MAX_ROWS));
        assert_eq!(read(just.as_bytes()).unwrap().len(), MAX_ROWS);
    }

    #[test]
    fn escapes_what_a_spreadsheet_would_run() {
        assert_eq!(escape_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        for c in ["+1", "-2", "@SUM(A1)", "\tx"] {
            assert!(escape_cell(c).starts_with('\''), "{c}");
        }
        assert_eq!(escape_cell("ann@example.com"), "ann@example.com");
        let out = String::from_utf8(write(&["email"], [vec!["=1+1"]].into_iter())).unwrap();
        assert_eq!(out, "\u{feff}email\n'=1+1\n");
    }

    #[test]
    fn classes_survive_their_codes() {
        for c in [
            RowClass::WillInvite,
            RowClass::Outcome(InviteOutcome::NotAllowed("the rule".into())),
            RowClass::UnknownRole("Boss".into()),
            RowClass::UnknownCommunity("nope".into()),
            RowClass::DuplicateRow(7),
            RowClass::MessageTooLong,
            RowClass::Outcome(InviteOutcome::QuotaReached),
        ] {
            assert_eq!(RowClass::from_code(c.code(), &c.detail()), c);
        }
    }
}
