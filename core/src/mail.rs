//! The mailer port. Core never speaks SMTP: it queues [`OutboxMessage`]s in storage, and the
//! delivery worker ([`crate::outbox`]) hands each to a [`Mailer`] (the SMTP adapter, or a
//! recording fake in tests).

use crate::error::MailError;
use crate::model::{Agency, OutboxMessage};
use async_trait::async_trait;

/// Sends one message. Implementations render the content with the agency's templates and
/// branding, and tell transient failures (retry later) from permanent ones.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Delivers `message` for `agency`. Must use `message.message_id()` as the `Message-ID`,
    /// so that a retried message is recognisably the same one.
    async fn send(&self, agency: &Agency, message: &OutboxMessage) -> Result<(), MailError>;
}

#[async_trait]
impl<M: Mailer + ?Sized> Mailer for std::sync::Arc<M> {
    async fn send(&self, agency: &Agency, message: &OutboxMessage) -> Result<(), MailError> {
        (**self).send(agency, message).await
    }
}
