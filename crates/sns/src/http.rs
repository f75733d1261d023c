//! HTTP/S deliveries: being integrated with `http_delivery` and `delivery_policy`.

use std::sync::Arc;

use ferrybridge_engine::sns::{Delivery, Subscription};

use crate::delivery::Shared;

pub(crate) fn spawn_notification(_shared: Arc<Shared>, _delivery: Delivery, _payload: String) {}

pub(crate) fn spawn_confirmation(
    _shared: Arc<Shared>,
    _sub: Arc<Subscription>,
    _doc: String,
    _message_id: String,
) {
}
