//! A ticket's file: the PDF or image the venue issued, uploaded by the seller straight to
//! the platform's private storage, checked there, and downloaded only by the seller and,
//! once the sale is complete, its buyer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::TicketId;

/// The kinds of file a ticket may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FileType {
    #[serde(rename = "application/pdf")]
    Pdf,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/jpeg")]
    Jpeg,
}

impl FileType {
    pub const ALL: [FileType; 3] = [FileType::Pdf, FileType::Png, FileType::Jpeg];

    /// The file's media type, as it is declared, signed and served.
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
        }
    }

    pub fn parse(raw: &str) -> Option<FileType> {
        FileType::ALL.into_iter().find(|kind| kind.content_type() == raw)
    }

    /// The bytes every file of this type starts with.
    pub fn magic(self) -> &'static [u8] {
        match self {
            FileType::Pdf => b"%PDF-",
            FileType::Png => b"\x89PNG\r\n\x1a\n",
            FileType::Jpeg => b"\xff\xd8\xff",
        }
    }

    /// Whether a file starting with `head` is of this type.
    pub fn starts(self, head: &[u8]) -> bool {
        head.starts_with(self.magic())
    }
}

/// How many of a stored file's first bytes the check reads.
pub const HEAD_BYTES: usize = 8;

/// What a seller declares of the file they are about to upload, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDraft {
    pub name: String,
    pub content_type: FileType,
    pub size: u64,
}

impl FileDraft {
    /// 5 MB.
    pub const MAX_SIZE: u64 = 5 * 1024 * 1024;
    pub const MAX_NAME: usize = 200;

    /// 1 to 200 characters without control characters; the name is what follows the last
    /// `/` or `\\`, without the spaces around it, and must not be empty.
    pub fn parse_name(raw: &str) -> Result<String, String> {
        if raw.chars().any(char::is_control) {
            return Err("File name must not contain control characters".into());
        }
        if !(1..=Self::MAX_NAME).contains(&raw.chars().count()) {
            return Err(format!("File name must be 1 to {} characters", Self::MAX_NAME));
        }
        match raw.rsplit(['/', '\\']).next().unwrap_or_default().trim_matches(' ') {
            "" => Err("File name must end with a name, not a folder".into()),
            name => Ok(name.to_owned()),
        }
    }

    pub fn parse_type(raw: &str) -> Result<FileType, String> {
        FileType::parse(raw).ok_or_else(|| "Content type must be application/pdf, image/png or image/jpeg".to_owned())
    }

    /// 1 byte to 5 MB.
    pub fn parse_size(size: u64) -> Result<u64, String> {
        match size {
            1..=Self::MAX_SIZE => Ok(size),
            _ => Err("Size must be 1 byte to 5 MB (5242880 bytes)".to_owned()),
        }
    }
}

/// A file that passed the check: what the seller and the buyer download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketFile {
    /// Where it is stored.
    pub key: String,
    pub name: String,
    pub content_type: FileType,
    pub size: u64,
    pub attached_at: DateTime<Utc>,
}

/// An upload the seller was given a URL for, waiting for its bytes and the check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingUpload {
    pub key: String,
    pub name: String,
    pub content_type: FileType,
    pub size: u64,
    pub expires_at: DateTime<Utc>,
}

impl PendingUpload {
    /// A new upload of `draft` for `ticket`, under a key of its own: a replacement never
    /// overwrites the file it replaces.
    pub fn new(ticket: &TicketId, draft: FileDraft, expires_at: DateTime<Utc>) -> PendingUpload {
        PendingUpload {
            key: format!("{KEY_PREFIX}{ticket}/{}", ulid::Ulid::new()),
            name: draft.name,
            content_type: draft.content_type,
            size: draft.size,
            expires_at,
        }
    }

    /// The file it becomes once its bytes passed the check.
    pub fn checked(&self, now: DateTime<Utc>) -> TicketFile {
        TicketFile {
            key: self.key.clone(),
            name: self.name.clone(),
            content_type: self.content_type,
            size: self.size,
            attached_at: now,
        }
    }
}

/// Every ticket file's key starts with this.
pub const KEY_PREFIX: &str = "tickets/";

/// The ticket a stored file's key belongs to, for a key this service made.
pub fn ticket_of_key(key: &str) -> Option<TicketId> {
    let (ticket, upload) = key.strip_prefix(KEY_PREFIX)?.split_once('/')?;
    crate::ids::is_ulid(upload).then_some(())?;
    TicketId::parse(ticket)
}

/// What the seller and the buyer see of a ticket's file.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileView {
    #[cfg_attr(feature = "openapi", schema(example = "ticket.pdf"))]
    pub name: String,
    pub content_type: FileType,
    #[cfg_attr(feature = "openapi", schema(example = 48213))]
    pub size: u64,
}

impl TicketFile {
    pub fn view(&self) -> FileView {
        FileView { name: self.name.clone(), content_type: self.content_type, size: self.size }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_file_is_a_pdf_png_or_jpeg_of_at_most_5_mb() {
        assert_eq!(FileDraft::parse_type("application/pdf"), Ok(FileType::Pdf));
        assert!(FileDraft::parse_type("image/gif").is_err() && FileDraft::parse_type("APPLICATION/PDF").is_err());
        assert_eq!(FileDraft::parse_size(5 * 1024 * 1024), Ok(5_242_880));
        assert!(FileDraft::parse_size(5 * 1024 * 1024 + 1).is_err() && FileDraft::parse_size(0).is_err());
        assert_eq!(FileDraft::parse_name(" C:\\tickets\\row 5.pdf "), Ok("row 5.pdf".to_owned()));
        assert!(FileDraft::parse_name("a/").is_err() && FileDraft::parse_name("a\nb.pdf").is_err());
        assert!(FileDraft::parse_name(&"x".repeat(201)).is_err() && FileDraft::parse_name("").is_err());
    }

    #[test]
    fn the_first_bytes_tell_the_type() {
        assert!(FileType::Pdf.starts(b"%PDF-1.7\n"));
        assert!(FileType::Png.starts(b"\x89PNG\r\n\x1a\n\0"));
        assert!(FileType::Jpeg.starts(b"\xff\xd8\xff\xe0"));
        assert!(!FileType::Pdf.starts(b"\x89PNG\r\n\x1a\n") && !FileType::Jpeg.starts(b"%PDF-"));
        assert!(!FileType::Pdf.starts(b"%PD"), "too short");
    }

    #[test]
    fn a_key_names_its_ticket() {
        let ticket = TicketId::generate();
        let draft = FileDraft { name: "t.pdf".into(), content_type: FileType::Pdf, size: 10 };
        let upload = PendingUpload::new(&ticket, draft, Utc::now());
        assert_eq!(ticket_of_key(&upload.key), Some(ticket.clone()));
        for bad in ["", "tickets/", "tickets/x/y", &format!("other/{ticket}/{}", ulid::Ulid::new())] {
            assert_eq!(ticket_of_key(bad), None, "{bad}");
        }
        assert_eq!(ticket_of_key(&format!("tickets/{ticket}/nope")), None);
    }
}
