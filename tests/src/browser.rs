//! A headless Chromium under `chromedriver`, one WebDriver session per simulated person.

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use thiserror::Error;

/// A failure of the browser harness.
#[derive(Debug, Error)]
pub enum BrowserError {
    /// chromedriver could not be started or did not answer.
    #[error("chromedriver: {0}")]
    Driver(String),
    /// A WebDriver session could not be opened.
    #[error("new session: {0}")]
    Session(#[from] fantoccini::error::NewSessionError),
    /// A WebDriver command failed.
    #[error("webdriver: {0}")]
    Command(#[from] fantoccini::error::CmdError),
    /// Waiting for a condition timed out.
    #[error("timed out waiting for {0}")]
    Timeout(String),
    /// Writing a screenshot failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// A running chromedriver; killed on drop.
pub struct Driver {
    child: Child,
    port: u16,
    chromium: String,
    profiles: Vec<PathBuf>,
}

impl Driver {
    /// Starts `chromedriver` on a free loopback port and waits until it listens.
    pub async fn start(chromedriver: &str, chromium: &str) -> Result<Self, BrowserError> {
        // The WebDriver client speaks rustls; several providers are linked in the workspace,
        // so choose one for the process (an error means one is already installed).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| BrowserError::Driver(e.to_string()))?
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| BrowserError::Driver(format!("{chromedriver}: {e}")))?;
        let driver = Self {
            child,
            port,
            chromium: chromium.to_string(),
            profiles: Vec::new(),
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(driver);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(BrowserError::Driver("did not start listening".into()))
    }

    /// Opens a new browser (its own profile: its own cookies), as one person.
    pub async fn browser(&mut self, who: &str) -> Result<Browser, BrowserError> {
        let profile = std::env::temp_dir().join(format!(
            "portico-e2e-{}-{}-{}",
            std::process::id(),
            who,
            self.profiles.len()
        ));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile)?;
        self.profiles.push(profile.clone());
        let args = serde_json::json!([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
            format!("--user-data-dir={}", profile.display()),
        ]);
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": self.chromium, "args": args }),
        );
        let client = ClientBuilder::rustls()
            .map_err(|e| BrowserError::Driver(e.to_string()))?
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await?;
        Ok(Browser {
            client,
            who: who.to_string(),
        })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for p in &self.profiles {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

/// One person's browser.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    who: String,
}

impl Browser {
    /// Opens `url`.
    pub async fn goto(&self, url: &str) -> Result<(), BrowserError> {
        self.client.goto(url).await?;
        Ok(())
    }

    /// The element matching the CSS selector, waiting up to 10 s for it to appear.
    pub async fn find(&self, css: &str) -> Result<Element, BrowserError> {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .map_err(|_| BrowserError::Timeout(format!("element {css}")))
    }

    /// Whether an element matches the CSS selector now.
    pub async fn exists(&self, css: &str) -> Result<bool, BrowserError> {
        Ok(!self.client.find_all(Locator::Css(css)).await?.is_empty())
    }

    /// Types `text` into the field matching `css` (cleared first).
    pub async fn fill(&self, css: &str, text: &str) -> Result<(), BrowserError> {
        let e = self.find(css).await?;
        e.clear().await?;
        e.send_keys(text).await?;
        Ok(())
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) -> Result<(), BrowserError> {
        self.find(css).await?.click().await?;
        Ok(())
    }

    /// The visible text of the page body.
    pub async fn text(&self) -> Result<String, BrowserError> {
        Ok(self.client.find(Locator::Css("body")).await?.text().await?)
    }

    /// Waits until the page body contains `needle` (up to 10 s) and returns the text.
    pub async fn wait_text(&self, needle: &str) -> Result<String, BrowserError> {
        for _ in 0..100 {
            let t = self.text().await.unwrap_or_default();
            if t.contains(needle) {
                return Ok(t);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(BrowserError::Timeout(format!(
            "{:?} in the page of {}",
            needle, self.who
        )))
    }

    /// The current URL.
    pub async fn url(&self) -> Result<String, BrowserError> {
        Ok(self.client.current_url().await?.to_string())
    }

    /// Saves a PNG screenshot as `target/e2e-screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf, BrowserError> {
        let png = self.client.screenshot().await?;
        let path = crate::screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Ends the WebDriver session.
    pub async fn close(self) -> Result<(), BrowserError> {
        self.client.close().await?;
        Ok(())
    }
}
