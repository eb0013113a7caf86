//! Ticket files in a private S3 bucket, behind presigned URLs: a PUT signed with the key,
//! the content type and the exact size (S3 refuses any other), and a GET that saves the file
//! under its name.
//!
//! S3's REST API by hand: the five requests this service makes (the two presigned, a HEAD, a
//! ranged GET, a DELETE), signed with SigV4 by `aws-sigv4`, the SDK's own signer. The SDK's
//! S3 client (its endpoint rules, checksums and the crates under them) made each function
//! that linked it about 1 MB larger.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_smithy_runtime_api::client::identity::Identity;
use domain::encoding::percent_encode;
use domain::ports::{FileStore, PresignedUpload, StoredFile, Upload};
use domain::{Error, Result};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::pki_types::{CertificateDer, pem::PemObject};

use crate::resources::FilesBucket;

type Http = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// How S3 is reached: the credentials and region requests are signed with, the endpoint, and
/// (built at the first request, as the presigning functions send none) the HTTPS client.
#[derive(Clone)]
pub struct S3 {
    credentials: Option<SharedCredentialsProvider>,
    region: String,
    /// An endpoint of one's own (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`), which takes the
    /// bucket in the path; AWS's otherwise, with the bucket in the host name.
    endpoint: Option<String>,
    /// The PEM certificates the HTTPS client trusts.
    roots: Arc<Vec<u8>>,
    http: Arc<OnceLock<Http>>,
}

impl S3 {
    pub(crate) fn new(
        credentials: Option<SharedCredentialsProvider>,
        region: Option<String>,
        endpoint: Option<String>,
        roots: Arc<Vec<u8>>,
    ) -> Self {
        let region = region.unwrap_or_else(|| "us-east-1".to_owned());
        let endpoint = endpoint.map(|url| url.trim_end_matches('/').to_owned());
        Self { credentials, region, endpoint, roots, http: Arc::default() }
    }

    fn object_url(&self, bucket: &str, key: &str) -> String {
        let path = key.split('/').map(percent_encode).collect::<Vec<_>>().join("/");
        match &self.endpoint {
            Some(endpoint) => format!("{endpoint}/{bucket}/{path}"),
            None => format!("https://{bucket}.s3.{}.amazonaws.com/{path}", self.region),
        }
    }

    /// Signs a request of `method` to `url` with `headers` at `time`: presigned, the URL with
    /// the signature in its query (valid `expires_in`); otherwise the headers to add.
    async fn sign(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        expires_in: Option<Duration>,
        time: SystemTime,
    ) -> anyhow::Result<(String, Vec<(&'static str, String)>)> {
        let provider = self.credentials.as_ref().ok_or_else(|| anyhow::anyhow!("no AWS credentials"))?;
        let identity = Identity::from(provider.provide_credentials().await?);
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let body = match expires_in {
            Some(expires_in) => {
                settings.signature_location = SignatureLocation::QueryParams;
                settings.expires_in = Some(expires_in);
                SignableBody::UnsignedPayload
            }
            None => {
                settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
                SignableBody::empty()
            }
        };
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(time)
            .settings(settings)
            .build()?
            .into();
        let request = SignableRequest::new(method, url, headers.iter().copied(), body)?;
        let (added_headers, added_query) = sign(request, &params)?.into_parts().0.into_parts();
        let mut url = url.to_owned();
        for (name, value) in added_query {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(name);
            url.push('=');
            url.push_str(&percent_encode(&value));
        }
        Ok((url, added_headers.into_iter().map(|header| (header.name(), header.value().to_owned())).collect()))
    }

    fn http(&self) -> &Http {
        self.http.get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            roots.add_parsable_certificates(CertificateDer::pem_slice_iter(&self.roots).filter_map(|cert| cert.ok()));
            let tls =
                rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
                    .with_safe_default_protocol_versions()
                    .expect("aws-lc supports TLS 1.2 and 1.3")
                    .with_root_certificates(roots)
                    .with_no_client_auth();
            let connector =
                hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http().enable_http1().build();
            Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector)
        })
    }

    /// Sends a signed request without a body: the answer's status, length and body. Tries
    /// three times when there is no answer or S3 answers 500 or 503, as the SDK's standard
    /// retries did.
    async fn send(&self, method: hyper::Method, url: &str, headers: &[(&str, &str)]) -> anyhow::Result<Answer> {
        let (url, signature) = self.sign(method.as_str(), url, headers, None, SystemTime::now()).await?;
        let mut builder = hyper::Request::builder().method(method).uri(url);
        for (name, value) in
            headers.iter().copied().chain(signature.iter().map(|(name, value)| (*name, value.as_str())))
        {
            builder = builder.header(name, value);
        }
        let request = builder.body(Full::new(Bytes::new()))?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let answer = async {
                let response = self.http().request(request.clone()).await?;
                let status = response.status().as_u16();
                let length = response.headers().get(hyper::header::CONTENT_LENGTH);
                let length = length.and_then(|value| value.to_str().ok()?.parse().ok());
                anyhow::Ok(Answer { status, length, body: response.into_body().collect().await?.to_bytes() })
            };
            match answer.await {
                Ok(Answer { status: 500 | 503, .. }) | Err(_) if attempt < 3 => {
                    tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
                }
                answer => return answer,
            }
        }
    }
}

#[derive(Clone)]
pub struct S3Files {
    s3: S3,
    bucket: String,
}

impl S3Files {
    pub fn new(s3: S3, bucket: &FilesBucket) -> Self {
        Self { s3, bucket: bucket.name().to_owned() }
    }
}

impl std::fmt::Debug for S3Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Files").field("bucket", &self.bucket).finish_non_exhaustive()
    }
}

/// S3's answer: its status, `content-length` and body.
struct Answer {
    status: u16,
    length: Option<u64>,
    body: Bytes,
}

impl Answer {
    /// An answer the request failed with, as an error: its status and what S3 said.
    fn refused(&self) -> anyhow::Error {
        anyhow::anyhow!("S3 answered {}: {}", self.status, String::from_utf8_lossy(&self.body))
    }
}

impl FileStore for S3Files {
    async fn upload_url(&self, upload: &Upload<'_>) -> Result<PresignedUpload> {
        let url = self.s3.object_url(&self.bucket, upload.key);
        let (length, tagging) = (upload.size.to_string(), upload.tagging());
        let headers =
            [("content-length", length.as_str()), ("content-type", upload.content_type), ("x-amz-tagging", &tagging)];
        let (url, _) = self
            .s3
            .sign("PUT", &url, &headers, Some(upload.expires_in), SystemTime::now())
            .await
            .map_err(|e| Error::internal(e, "presigning an S3 upload"))?;
        Ok(PresignedUpload {
            url,
            headers: headers.into_iter().map(|(name, value)| (name.to_owned(), value.to_owned())).collect(),
        })
    }

    async fn download_url(&self, key: &str, file_name: &str, expires_in: Duration) -> Result<String> {
        let disposition = percent_encode(&domain::files::disposition(file_name));
        let url = format!("{}?response-content-disposition={disposition}", self.s3.object_url(&self.bucket, key));
        let (url, _) = self
            .s3
            .sign("GET", &url, &[], Some(expires_in), SystemTime::now())
            .await
            .map_err(|e| Error::internal(e, "presigning an S3 download"))?;
        Ok(url)
    }

    async fn head(&self, key: &str, bytes: usize) -> Result<Option<StoredFile>> {
        let url = self.s3.object_url(&self.bucket, key);
        let size = match self.s3.send(hyper::Method::HEAD, &url, &[]).await {
            Ok(Answer { status: 404, .. }) => return Ok(None),
            Ok(Answer { status: 200, length: Some(length), .. }) => length,
            Ok(answer) => return Err(Error::internal(answer.refused(), format!("reading the size of {key}"))),
            Err(e) => return Err(Error::internal(e, format!("reading the size of {key}"))),
        };
        if size == 0 || bytes == 0 {
            return Ok(Some(StoredFile { size, head: Vec::new() }));
        }
        let range = format!("bytes=0-{}", bytes.min(usize::try_from(size).unwrap_or(usize::MAX)) - 1);
        let body = match self.s3.send(hyper::Method::GET, &url, &[("range", &range)]).await {
            Ok(Answer { status: 404, .. }) => return Ok(None),
            Ok(Answer { status: 200 | 206, body, .. }) => body,
            Ok(answer) => return Err(Error::internal(answer.refused(), format!("reading {key}"))),
            Err(e) => return Err(Error::internal(e, format!("reading the first bytes of {key}"))),
        };
        Ok(Some(StoredFile { size, head: body.iter().take(bytes).copied().collect() }))
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let url = self.s3.object_url(&self.bucket, key);
        match self.s3.send(hyper::Method::DELETE, &url, &[]).await {
            Ok(Answer { status: 200 | 204 | 404, .. }) => Ok(()),
            Ok(answer) => Err(Error::internal(answer.refused(), format!("deleting {key}"))),
            Err(e) => Err(Error::internal(e, format!("deleting {key}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3(key: &str, secret: &str, region: &str, endpoint: Option<&str>) -> S3 {
        let credentials = aws_credential_types::Credentials::new(key, secret, None, None, "test");
        let credentials = Some(SharedCredentialsProvider::new(credentials));
        S3::new(credentials, Some(region.to_owned()), endpoint.map(str::to_owned), Arc::default())
    }

    fn files(endpoint: Option<&str>) -> S3Files {
        S3Files::new(s3("AKID", "secret", "eu-west-1", endpoint), &FilesBucket("ticket-files".into()))
    }

    /// The examples of S3's documentation ("Authenticating Requests (AWS Signature Version
    /// 4)"): a GET signed in its headers and a presigned GET, with their signatures.
    #[tokio::test]
    async fn requests_are_signed_as_s3s_documented_examples_are() {
        let example = s3("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", None);
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_369_353_600);
        let url = "https://examplebucket.s3.amazonaws.com/test.txt";
        let (_, headers) = example.sign("GET", url, &[("range", "bytes=0-9")], None, time).await.unwrap();
        let authorization = headers.iter().find(|(name, _)| *name == "authorization").unwrap();
        assert_eq!(
            authorization.1,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
        let (presigned, _) = example.sign("GET", url, &[], Some(Duration::from_secs(86_400)), time).await.unwrap();
        assert_eq!(
            query(&presigned, "X-Amz-Credential"),
            "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        );
        assert_eq!(
            query(&presigned, "X-Amz-Signature"),
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
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
        let upload = files(None).upload_url(&pdf(48213)).await.unwrap();
        assert!(
            upload.url.starts_with(&format!("https://ticket-files.s3.eu-west-1.amazonaws.com/{key}?")),
            "{}",
            upload.url
        );
        assert_eq!(query(&upload.url, "X-Amz-SignedHeaders"), "content-length%3Bcontent-type%3Bhost%3Bx-amz-tagging");
        assert_eq!(query(&upload.url, "X-Amz-Credential").split("%2F").nth(2), Some("eu-west-1"));
        assert_eq!(upload.headers.get("x-amz-tagging").map(String::as_str), Some("expire-after-days=30"));
        assert_eq!(query(&upload.url, "X-Amz-Expires"), "900");
        assert_eq!(upload.headers.get("content-type").map(String::as_str), Some("application/pdf"));
        assert_eq!(upload.headers.get("content-length").map(String::as_str), Some("48213"));
        let other = files(None).upload_url(&pdf(48214)).await.unwrap();
        assert_ne!(query(&upload.url, "X-Amz-Signature"), query(&other.url, "X-Amz-Signature"), "the size is signed");
    }

    #[tokio::test]
    async fn a_download_url_is_short_lived_and_names_the_file() {
        let key = "tickets/01KTICKET0000000000000000/01KUPLOAD0000000000000000";
        let url = files(None).download_url(key, "row 5.pdf", Duration::from_secs(300)).await.unwrap();
        assert_eq!(query(&url, "X-Amz-Expires"), "300");
        assert!(query(&url, "response-content-disposition").starts_with("attachment%3B%20filename%3D"), "{url}");
    }

    #[tokio::test]
    async fn an_endpoint_of_ones_own_takes_the_bucket_in_the_path() {
        let key = "tickets/a b/ü";
        let url =
            files(Some("http://127.0.0.1:5000/")).download_url(key, "x.pdf", Duration::from_secs(60)).await.unwrap();
        assert!(url.starts_with("http://127.0.0.1:5000/ticket-files/tickets/a%20b/%C3%BC?"), "{url}");
    }
}
