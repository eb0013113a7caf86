//! The ticket files' storage: S3 (on moto) and the local runner's embedded files pass the
//! same suite, through the URLs they sign, as a browser uses them; and the check, on S3,
//! deletes what a seller stored that is not what they declared.

use std::time::Duration;

use aws_adapters::S3Files;
use domain::change::{Change, Write};
use domain::entities::{FileDraft, FileType, PendingUpload, Ticket};
use domain::files::Checked;
use domain::ports::{ChangeStore, FileStore, StoredFile, TicketStore, Upload};
use ticketing_tests::{SAMPLE_PDF, json, moto, spawn_app};

/// PUTs `bytes` to an upload URL of `key` with the headers it came with.
async fn put(files: &impl FileStore, key: &str, content_type: &str, bytes: &[u8]) -> u16 {
    let size = bytes.len() as u64;
    let expires_in = Duration::from_secs(60);
    let upload = files.upload_url(&Upload { key, content_type, size, keep_days: 30, expires_in }).await.unwrap();
    let mut request = reqwest::Client::new().put(&upload.url).body(bytes.to_vec());
    for (name, value) in &upload.headers {
        if name != "content-length" {
            request = request.header(name, value);
        }
    }
    request.send().await.unwrap().status().as_u16()
}

fn new_key() -> String {
    format!("tickets/{}/{}", domain::ids::TicketId::generate(), ulid::Ulid::new())
}

/// Runs the suite over `files`; `declare` gives the key of an upload declared to the service
/// (a file the check keeps), of a content type and size.
async fn suite(files: &impl FileStore, declare: impl AsyncFn(&'static str, usize) -> String) {
    let key = declare("application/pdf", SAMPLE_PDF.len()).await;
    assert_eq!(files.head(&key, 8).await.unwrap(), None, "nothing yet");
    assert_eq!(put(files, &key, "application/pdf", SAMPLE_PDF).await, 200);
    assert_eq!(
        files.head(&key, 8).await.unwrap(),
        Some(StoredFile { size: SAMPLE_PDF.len() as u64, head: SAMPLE_PDF[..8].to_vec() })
    );
    let url = files.download_url(&key, "row 5 ü.pdf", Duration::from_secs(60)).await.unwrap();
    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment; filename=\"row 5"), "{disposition}");
    assert_eq!(response.bytes().await.unwrap().as_ref(), SAMPLE_PDF, "the same bytes back");

    let short = declare("image/jpeg", 3).await;
    assert_eq!(put(files, &short, "image/jpeg", b"\xff\xd8\xff").await, 200);
    assert_eq!(files.head(&short, 8).await.unwrap(), Some(StoredFile { size: 3, head: b"\xff\xd8\xff".to_vec() }));

    files.delete(&key).await.unwrap();
    assert_eq!(files.head(&key, 8).await.unwrap(), None, "deleted");
    files.delete(&key).await.unwrap();
    assert_eq!(files.head(&short, 8).await.unwrap().map(|file| file.size), Some(3), "only that one");
}

#[tokio::test]
async fn s3_conformance() {
    let (_, files) = moto::files().await;
    suite(&files, async |_, _| new_key()).await;
}

#[tokio::test]
async fn embedded_conformance() {
    // The runner checks what it stores as S3's event has the check function do: the files
    // are those of uploads a seller declared.
    let app = spawn_app().await;
    let seller = app.session("seller@example.com").await;
    let declare = async |content_type: &'static str, size: usize| {
        let ticket = app.create_ticket(&seller, &json!({ "title": "Concert", "price": 45.00 })).await.body;
        let path = format!("/api/tickets/{}/file", ticket["id"].as_str().unwrap());
        let declared = json!({ "fileName": "ticket", "contentType": content_type, "size": size });
        let upload = app.with_session(reqwest::Method::POST, &path, &seller, Some(&declared)).await;
        let url = upload.body["url"].as_str().expect("an upload URL");
        url.split("/_local/files/").nth(1).and_then(|rest| rest.split('?').next()).unwrap().to_owned()
    };
    suite(&app.files, declare).await;
}

/// A seller's ticket waiting for the upload of `size` bytes of `kind`, on moto's DynamoDB.
async fn awaiting(store: &(impl TicketStore + ChangeStore), kind: FileType, size: u64) -> (Ticket, PendingUpload) {
    let listed = domain::testing::ticket("seller", "Concert");
    let listed = Ticket { file: None, ..listed };
    store.commit(&Change { tickets: vec![Write::Insert(listed.clone())], ..Change::default() }).await.unwrap();
    let draft = FileDraft { name: "ticket.pdf".into(), content_type: kind, size };
    let upload = PendingUpload::new(&listed.id, draft, chrono::Utc::now() + chrono::Duration::minutes(15));
    let waiting = listed.awaiting(upload.clone());
    store.commit(&Change { tickets: vec![Write::Update(waiting.clone())], ..Change::default() }).await.unwrap();
    (waiting, upload)
}

/// The check function, on S3's `Object Created` event of `key`.
async fn check(store: &moto::AllStores, files: &S3Files, key: &str) -> Checked {
    files_check::handle(store, files, files_check::ObjectCreated::of(key)).await.unwrap()
}

#[tokio::test]
async fn on_s3_the_check_deletes_a_file_of_another_size_or_type_and_attaches_the_declared_one() {
    let (store, _) = moto::stores().await;
    let (bucket, files) = moto::files().await;

    let (ticket, upload) = awaiting(&store, FileType::Pdf, SAMPLE_PDF.len() as u64).await;
    moto::put_object(&bucket, &upload.key, &SAMPLE_PDF[..SAMPLE_PDF.len() - 1]).await;
    assert_eq!(check(&store, &files, &upload.key).await, Checked::Rejected("the stored size is not the declared one"));
    assert_eq!(files.head(&upload.key, 8).await.unwrap(), None, "deleted");
    let after = TicketStore::get(&store, &ticket.id).await.unwrap().unwrap();
    assert_eq!((after.file, after.upload), (None, None));

    let (ticket, upload) = awaiting(&store, FileType::Pdf, 12).await;
    moto::put_object(&bucket, &upload.key, b"\x89PNG\r\n\x1a\nabcd").await;
    assert_eq!(check(&store, &files, &upload.key).await, Checked::Rejected("the bytes are not of the declared type"));
    assert_eq!(files.head(&upload.key, 8).await.unwrap(), None);
    assert_eq!(TicketStore::get(&store, &ticket.id).await.unwrap().unwrap().file, None);

    let stray = format!("tickets/{}/{}", ticket.id, ulid::Ulid::new());
    moto::put_object(&bucket, &stray, SAMPLE_PDF).await;
    assert_eq!(check(&store, &files, &stray).await, Checked::Rejected("no upload is pending under this key"));
    assert_eq!(files.head(&stray, 8).await.unwrap(), None, "nothing is kept that no upload declared");

    let (ticket, upload) = awaiting(&store, FileType::Pdf, SAMPLE_PDF.len() as u64).await;
    moto::put_object(&bucket, &upload.key, SAMPLE_PDF).await;
    assert_eq!(check(&store, &files, &upload.key).await, Checked::Attached);
    let attached = TicketStore::get(&store, &ticket.id).await.unwrap().unwrap();
    assert_eq!(attached.file.map(|file| (file.key, file.size)), Some((upload.key.clone(), SAMPLE_PDF.len() as u64)));
    assert_eq!(check(&store, &files, &upload.key).await, Checked::Unchanged, "a redelivered event");
    assert!(files.head(&upload.key, 8).await.unwrap().is_some(), "kept");
}
