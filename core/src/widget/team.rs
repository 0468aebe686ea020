//! The team member card: the agency contact for the property — the property manager for
//! lettings; the negotiator for sales, else the valuer; no card if none.

use super::{Widget, WidgetContext, WidgetData, ids};
use crate::access::records::PropertyKind;
use crate::host::HostError;
use async_trait::async_trait;

/// The team member card widget.
#[derive(Debug, Clone, Copy, Default)]
pub struct TeamMemberWidget;

#[async_trait]
impl Widget for TeamMemberWidget {
    fn id(&self) -> &str {
        ids::TEAM_MEMBER
    }
    fn title(&self) -> &str {
        "Your contact"
    }
    fn applies_to(&self, _kind: PropertyKind) -> bool {
        true
    }
    async fn fetch(&self, ctx: &WidgetContext<'_>) -> Result<Option<WidgetData>, HostError> {
        let Some(staff) = ctx.property.team_member() else {
            return Ok(None);
        };
        Ok(ctx
            .host
            .team_member(ctx.property.agency, staff)
            .await?
            .map(WidgetData::TeamMember))
    }
}
