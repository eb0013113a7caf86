//! Ticket files in a private S3 bucket, behind presigned URLs: a PUT signed with the key,
//! the content type and the exact size (S3 refuses any other), and a GET that saves the file
//! under its name.

use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::presigning::PresigningConfig;
use domain::ports::{FileStore, PresignedUpload, StoredFile, Upload};
use domain::{Error, Result};

use crate::resources::FilesBucket;

#[derive(Debug, Clone)]
pub struct S3Files {
    client: Client,
    bucket: String,
}

impl S3Files {
    pub fn new(client: Client, bucket: &FilesBucket) -> Self {
        Self { client, bucket: bucket.name().to_owned() }
    }
}

fn presigning(expires_in: Duration) -> Result<PresigningConfig> {
    PresigningConfig::expires_in(expires_in).map_err(|e| Error::internal(e, "an S3 presigning configuration"))
}

impl FileStore for S3Files {
    async fn upload_url(&self, upload: &Upload<'_>) -> Result<PresignedUpload> {
        let length = i64::try_from(upload.size).map_err(|e| Error::internal(e, "a file size"))?;
        let presigned = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(upload.key)
            .content_type(upload.content_type)
            .content_length(length)
            .tagging(upload.tagging())
            .presigned(presigning(upload.expires_in)?)
            .await
            .map_err(|e| Error::internal(e, "presigning an S3 upload"))?;
        Ok(PresignedUpload {
            url: presigned.uri().to_owned(),
            headers: presigned.headers().map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned())).collect(),
        })
    }

    async fn download_url(&self, key: &str, file_name: &str, expires_in: Duration) -> Result<String> {
        let presigned = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_disposition(domain::files::disposition(file_name))
            .presigned(presigning(expires_in)?)
            .await
            .map_err(|e| Error::internal(e, "presigning an S3 download"))?;
        Ok(presigned.uri().to_owned())
    }

    async fn head(&self, key: &str, bytes: usize) -> Result<Option<StoredFile>> {
        let head = match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(head) => head,
            Err(SdkError::ServiceError(error)) if error.err().is_not_found() => return Ok(None),
            Err(e) => return Err(Error::internal(e, format!("reading the size of {key}"))),
        };
        let size = u64::try_from(head.content_length().unwrap_or_default()).unwrap_or_default();
        if size == 0 || bytes == 0 {
            return Ok(Some(StoredFile { size, head: Vec::new() }));
        }
        let range = format!("bytes=0-{}", bytes.min(usize::try_from(size).unwrap_or(usize::MAX)) - 1);
        let first = match self.client.get_object().bucket(&self.bucket).key(key).range(range).send().await {
            Ok(first) => first,
            Err(SdkError::ServiceError(error)) if error.err().is_no_such_key() => return Ok(None),
            Err(e) => return Err(Error::internal(e, format!("reading the first bytes of {key}"))),
        };
        let body = first.body.collect().await.map_err(|e| Error::internal(e, format!("reading {key}")))?;
        Ok(Some(StoredFile { size, head: body.into_bytes().iter().take(bytes).copied().collect() }))
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| Error::internal(e, format!("deleting {key}")))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> S3Files {
        let credentials = aws_sdk_s3::config::Credentials::new("AKID", "secret", None, None, "test");
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("eu-west-1"))
            .credentials_provider(credentials)
            .build();
        S3Files::new(Client::from_conf(config), &FilesBucket("ticket-files".into()))
    }

    fn query<'a>(url: &'a str, name: &str) -> &'a str {
        let query = url.split_once('?').expect("a query").1;
        query.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('=')).unwrap_or_else(|| panic!("{name}"))
    }

    #[tokio::test]
    async fn an_upload_url_signs_the_key_the_type_and_the_exact_size() {
        let key = "tickets/01KTICKET0000000000000000/01KUPLOAD0000000000000000";
        let pdf = |size| Upload {
            key,
            content_type: "application/pdf",
            size,
            keep_days: 30,
            expires_in: Duration::from_secs(900),
        };
        let upload = files().upload_url(&pdf(48213)).await.unwrap();
        assert!(
            upload.url.starts_with(&format!("https://ticket-files.s3.eu-west-1.amazonaws.com/{key}?")),
            "{}",
            upload.url
        );
        assert_eq!(query(&upload.url, "X-Amz-SignedHeaders"), "content-length%3Bcontent-type%3Bhost%3Bx-amz-tagging");
        assert_eq!(upload.headers.get("x-amz-tagging").map(String::as_str), Some("expire-after-days=30"));
        assert_eq!(query(&upload.url, "X-Amz-Expires"), "900");
        assert_eq!(upload.headers.get("content-type").map(String::as_str), Some("application/pdf"));
        assert_eq!(upload.headers.get("content-length").map(String::as_str), Some("48213"));
        let other = files().upload_url(&pdf(48214)).await.unwrap();
        assert_ne!(query(&upload.url, "X-Amz-Signature"), query(&other.url, "X-Amz-Signature"), "the size is signed");
    }

    #[tokio::test]
    async fn a_download_url_is_short_lived_and_names_the_file() {
        let key = "tickets/01KTICKET0000000000000000/01KUPLOAD0000000000000000";
        let url = files().download_url(key, "row 5.pdf", Duration::from_secs(300)).await.unwrap();
        assert_eq!(query(&url, "X-Amz-Expires"), "300");
        assert!(query(&url, "response-content-disposition").starts_with("attachment"), "{url}");
    }
}
