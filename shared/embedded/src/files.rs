//! The local runner's ticket file storage, playing S3: files live in the embedded store, and
//! the runner serves signed upload and download URLs under [`FILES_PATH`]. An upload URL's
//! signature covers, as a presigned S3 PUT's does, its expiry, the key, the content type and
//! the exact size; a download URL's covers its expiry, the key and the name it is saved as.

use std::time::Duration;

use aws_lc_rs::hmac;
use domain::encoding::{hex, unhex};
use domain::ports::{FileStore, PresignedUpload, StoredFile, Upload};
use domain::{Error, Result};

use crate::store::{EmbeddedStore, Table, open_readable, storage};

/// Stored files, keyed by their key: the content type, a newline, then the bytes.
const FILES: Table = Table::new("files");

/// Where the runner serves the files: `{FILES_PATH}/{key}`.
pub const FILES_PATH: &str = "/_local/files";

/// Files in the embedded store, behind URLs signed with a key of this process.
#[derive(Clone)]
pub struct LocalFiles {
    store: EmbeddedStore,
    origin: String,
    key: hmac::Key,
}

/// Why the runner refuses a request to a signed URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the URL has expired")]
    Expired,
    #[error("the signature does not match the request (key, content type, size or expiry)")]
    Signature,
    #[error("no such file")]
    NotFound,
}

/// What an upload request carries besides its key and bytes.
pub struct SignedUpload<'a> {
    pub expires: i64,
    pub signature: &'a str,
    /// The `Content-Type` header.
    pub content_type: &'a str,
    /// The `x-amz-tagging` header.
    pub tagging: &'a str,
}

/// A file as the runner serves it.
pub struct Download {
    pub content_type: String,
    pub name: String,
    pub bytes: Vec<u8>,
}

impl LocalFiles {
    /// Files in `store`, at URLs under `origin` (the runner's own address).
    pub fn new(store: EmbeddedStore, origin: &str) -> Self {
        let mut secret = [0u8; 32];
        aws_lc_rs::rand::fill(&mut secret).expect("the system's random source");
        Self { store, origin: origin.trim_end_matches('/').to_owned(), key: hmac::Key::new(hmac::HMAC_SHA256, &secret) }
    }

    fn sign(&self, parts: &[&str]) -> String {
        hex(hmac::sign(&self.key, parts.join("\n").as_bytes()).as_ref())
    }

    fn verify(&self, parts: &[&str], expires: i64, signature: &str, now: i64) -> Result<(), Refused> {
        // Compared in constant time, by the HMAC's own verification.
        let tag = unhex(signature).ok_or(Refused::Signature)?;
        hmac::verify(&self.key, parts.join("\n").as_bytes(), &tag).map_err(|_| Refused::Signature)?;
        if now >= expires { Err(Refused::Expired) } else { Ok(()) }
    }

    /// Stores an upload to `key` signed `signature` until `expires`, if its content type,
    /// size and tagging (the retention, kept by S3's lifecycle rules; here only signed) are
    /// the signed ones.
    pub async fn accept_upload(
        &self,
        key: &str,
        signed: &SignedUpload<'_>,
        bytes: Vec<u8>,
        now: i64,
    ) -> Result<Result<(), Refused>> {
        let (size, expires) = (bytes.len().to_string(), signed.expires.to_string());
        let parts = ["PUT", key, signed.content_type, &size, signed.tagging, &expires];
        if let Err(refused) = self.verify(&parts, signed.expires, signed.signature, now) {
            return Ok(Err(refused));
        }
        let content_type = signed.content_type;
        let (key, record) = (key.to_owned(), [content_type.as_bytes(), b"\n", &bytes].concat());
        self.store
            .write(move |txn| {
                txn.open_table(FILES).map_err(storage)?.insert(key.as_str(), record.as_slice()).map_err(storage)?;
                Ok(())
            })
            .await?;
        Ok(Ok(()))
    }

    /// The file under `key`, for a download URL signed `signature` until `expires`.
    pub async fn download(
        &self,
        key: &str,
        name: &str,
        expires: i64,
        signature: &str,
        now: i64,
    ) -> Result<Result<Download, Refused>> {
        if let Err(refused) = self.verify(&["GET", key, name, &expires.to_string()], expires, signature, now) {
            return Ok(Err(refused));
        }
        let Some((content_type, bytes)) = self.stored(key).await? else { return Ok(Err(Refused::NotFound)) };
        Ok(Ok(Download { content_type, name: name.to_owned(), bytes }))
    }

    /// The file under `key`: its content type and its bytes.
    async fn stored(&self, key: &str) -> Result<Option<(String, Vec<u8>)>> {
        let key = key.to_owned();
        self.store
            .read(move |txn| {
                let Some(files) = open_readable(txn, FILES)? else { return Ok(None) };
                let record = files.get(key.as_str()).map_err(storage)?;
                Ok(record.map(|record| {
                    let record = record.value();
                    let split = record.iter().position(|&byte| byte == b'\n').unwrap_or(record.len());
                    let content_type = String::from_utf8_lossy(&record[..split]).into_owned();
                    (content_type, record.get(split + 1..).unwrap_or_default().to_vec())
                }))
            })
            .await
    }
}

impl FileStore for LocalFiles {
    async fn upload_url(&self, upload: &Upload<'_>) -> Result<PresignedUpload> {
        let Upload { key, content_type, size, .. } = *upload;
        let expires = expiry(upload.expires_in)?;
        let tagging = upload.tagging();
        let signature = self.sign(&["PUT", key, content_type, &size.to_string(), &tagging, &expires.to_string()]);
        Ok(PresignedUpload {
            url: format!("{}{FILES_PATH}/{key}?expires={expires}&signature={signature}", self.origin),
            headers: [
                ("content-type".to_owned(), content_type.to_owned()),
                ("content-length".to_owned(), size.to_string()),
                (domain::files::RETENTION_TAG_HEADER.to_owned(), tagging),
            ]
            .into(),
        })
    }

    async fn download_url(&self, key: &str, file_name: &str, expires_in: Duration) -> Result<String> {
        let expires = expiry(expires_in)?;
        let signature = self.sign(&["GET", key, file_name, &expires.to_string()]);
        Ok(format!(
            "{}{FILES_PATH}/{key}?expires={expires}&name={}&signature={signature}",
            self.origin,
            domain::encoding::percent_encode(file_name)
        ))
    }

    async fn head(&self, key: &str, bytes: usize) -> Result<Option<StoredFile>> {
        Ok(self
            .stored(key)
            .await?
            .map(|(_, body)| StoredFile { size: body.len() as u64, head: body[..bytes.min(body.len())].to_vec() }))
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let key = key.to_owned();
        self.store
            .write(move |txn| {
                txn.open_table(FILES).map_err(storage)?.remove(key.as_str()).map_err(storage)?;
                Ok(())
            })
            .await
    }
}

fn expiry(expires_in: Duration) -> Result<i64> {
    let seconds = i64::try_from(expires_in.as_secs()).map_err(|e| Error::internal(e, "an expiry"))?;
    Ok(chrono::Utc::now().timestamp() + seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> LocalFiles {
        LocalFiles::new(EmbeddedStore::in_memory(), "http://127.0.0.1:3000")
    }

    fn upload<'a>(key: &'a str, content_type: &'a str, size: u64, keep_days: u32) -> Upload<'a> {
        Upload { key, content_type, size, keep_days, expires_in: Duration::from_secs(60) }
    }

    fn query(url: &str, name: &str) -> String {
        let query = url.split_once('?').unwrap().1;
        query.split('&').find_map(|pair| pair.strip_prefix(&format!("{name}="))).unwrap().to_owned()
    }

    #[tokio::test]
    async fn an_upload_is_accepted_only_as_signed() {
        let files = files();
        let key = "tickets/01KTICKET0000000000000000/01KUPLOAD0000000000000000";
        let upload = files.upload_url(&upload(key, "application/pdf", 9, 30)).await.unwrap();
        assert_eq!(upload.headers["content-type"], "application/pdf");
        assert_eq!(upload.headers["content-length"], "9");
        assert_eq!(upload.headers["x-amz-tagging"], "expire-after-days=30");
        let (expires, signature) =
            (query(&upload.url, "expires").parse::<i64>().unwrap(), query(&upload.url, "signature"));
        let now = chrono::Utc::now().timestamp();
        let put = |key: &'static str,
                   content_type: &'static str,
                   tagging: &'static str,
                   bytes: &'static [u8],
                   expires: i64,
                   at: i64| {
            let (files, signature) = (files.clone(), signature.clone());
            async move {
                let signed = SignedUpload { expires, signature: &signature, content_type, tagging };
                files.accept_upload(key, &signed, bytes.to_vec(), at).await.unwrap()
            }
        };
        let (pdf, tag, bytes) = ("application/pdf", "expire-after-days=30", b"%PDF-1.7\n".as_slice());
        let other_key = "tickets/01KTICKET0000000000000000/01KOTHER00000000000000000";
        assert_eq!(put(other_key, pdf, tag, bytes, expires, now).await, Err(Refused::Signature), "another key");
        assert_eq!(put(key, "image/png", tag, bytes, expires, now).await, Err(Refused::Signature), "another type");
        assert_eq!(put(key, pdf, tag, b"%PDF-1.7\n\n", expires, now).await, Err(Refused::Signature), "another size");
        assert_eq!(
            put(key, pdf, "expire-after-days=400", bytes, expires, now).await,
            Err(Refused::Signature),
            "another retention"
        );
        assert_eq!(put(key, pdf, tag, bytes, expires + 1, now).await, Err(Refused::Signature), "a later expiry");
        assert_eq!(put(key, pdf, tag, bytes, expires, expires).await, Err(Refused::Expired), "expired");
        assert_eq!(files.head(key, 8).await.unwrap(), None, "nothing refused was stored");
        assert_eq!(put(key, pdf, tag, bytes, expires, now).await, Ok(()));
        assert_eq!(files.head(key, 8).await.unwrap(), Some(StoredFile { size: 9, head: b"%PDF-1.7".to_vec() }));
    }

    #[tokio::test]
    async fn a_download_url_serves_the_file_under_its_name_until_it_expires() {
        let files = files();
        let key = "tickets/01KTICKET0000000000000000/01KUPLOAD0000000000000000";
        let upload = files.upload_url(&upload(key, "image/png", 3, 90)).await.unwrap();
        let (expires, signature) = (query(&upload.url, "expires").parse().unwrap(), query(&upload.url, "signature"));
        let now = chrono::Utc::now().timestamp();
        let signed =
            SignedUpload { expires, signature: &signature, content_type: "image/png", tagging: "expire-after-days=90" };
        files.accept_upload(key, &signed, b"\x89PN".to_vec(), now).await.unwrap().unwrap();
        let url = files.download_url(key, "row 5 & seat.png", Duration::from_secs(60)).await.unwrap();
        assert_eq!(query(&url, "name"), "row%205%20%26%20seat.png");
        let (expires, signature) = (query(&url, "expires").parse().unwrap(), query(&url, "signature"));
        let got = files.download(key, "row 5 & seat.png", expires, &signature, now).await.unwrap().unwrap();
        assert_eq!((got.content_type.as_str(), got.bytes.as_slice()), ("image/png", b"\x89PN".as_slice()));
        assert!(matches!(
            files.download(key, "other.png", expires, &signature, now).await.unwrap(),
            Err(Refused::Signature)
        ));
        assert!(matches!(
            files.download(key, "row 5 & seat.png", expires, &signature, expires).await.unwrap(),
            Err(Refused::Expired)
        ));
        files.delete(key).await.unwrap();
        assert!(matches!(
            files.download(key, "row 5 & seat.png", expires, &signature, now).await.unwrap(),
            Err(Refused::NotFound)
        ));
        files.delete(key).await.unwrap();
    }
}
