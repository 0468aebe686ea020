//! The portal in a real headless Chromium.

use portico_e2e::browser::Driver;
use portico_e2e::service_env;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_renders_a_local_page() {
    let (Some(driver), Some(chromium)) = (
        service_env("PORTICO_TEST_CHROMEDRIVER"),
        service_env("PORTICO_TEST_CHROMIUM"),
    ) else {
        return;
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            let body = "<html><body><h1>hello portico</h1></body></html>";
            let _ = s
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                )
                .await;
        }
    });
    let mut d = Driver::start(&driver, &chromium).await.unwrap();
    let b = d.browser("probe").await.unwrap();
    b.goto(&format!("http://{addr}/")).await.unwrap();
    b.wait_text("hello portico").await.unwrap();
    b.screenshot("probe").await.unwrap();
    b.close().await.unwrap();
}
