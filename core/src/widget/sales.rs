//! The sales widgets: current offers, viewings (past and future) and viewing feedback. The
//! general documents widget is shared with lettings ([`super::lettings::catalogue`]).

use super::{Widget, WidgetContext, WidgetData, ids};
use crate::access::records::PropertyKind;
use crate::host::HostError;
use async_trait::async_trait;
use std::sync::Arc;

/// Which host call a sales widget makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SalesSource {
    /// [`crate::host::HostData::offers`].
    Offers,
    /// [`crate::host::HostData::viewings`].
    Viewings,
    /// [`crate::host::HostData::viewing_feedback`].
    Feedback,
}

/// A sales widget backed by one host call.
#[derive(Debug, Clone)]
pub struct SalesWidget {
    /// Widget id.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// The host call.
    pub source: SalesSource,
}

#[async_trait]
impl Widget for SalesWidget {
    fn id(&self) -> &str {
        self.id
    }
    fn title(&self) -> &str {
        self.title
    }
    fn applies_to(&self, kind: PropertyKind) -> bool {
        kind == PropertyKind::Sales
    }
    async fn fetch(&self, ctx: &WidgetContext<'_>) -> Result<Option<WidgetData>, HostError> {
        let p = &ctx.host_property;
        Ok(Some(match self.source {
            SalesSource::Offers => WidgetData::Offers(ctx.host.offers(p).await?),
            SalesSource::Viewings => {
                let all = ctx.host.viewings(p).await?;
                let (mut past, mut future): (Vec<_>, Vec<_>) =
                    all.into_iter().partition(|v| v.at < ctx.now);
                past.sort_by_key(|v| std::cmp::Reverse(v.at));
                future.sort_by_key(|v| v.at);
                WidgetData::Viewings { past, future }
            }
            SalesSource::Feedback => WidgetData::Feedback(ctx.host.viewing_feedback(p).await?),
        }))
    }
}

/// The sales catalogue in dashboard order.
pub fn catalogue() -> Vec<Arc<dyn Widget>> {
    let w = |id, title, source| -> Arc<dyn Widget> { Arc::new(SalesWidget { id, title, source }) };
    vec![
        w(ids::CURRENT_OFFERS, "Current offers", SalesSource::Offers),
        w(ids::VIEWINGS, "Viewings", SalesSource::Viewings),
        w(
            ids::VIEWING_FEEDBACK,
            "Viewing feedback",
            SalesSource::Feedback,
        ),
    ]
}
