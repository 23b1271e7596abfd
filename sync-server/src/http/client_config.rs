//! `GET /api/config`: what a client must know about this server before it
//! creates a class (whether it asks for a signup secret or a teacher token).

use std::sync::Arc;

use axum::extract::State;
use serde::Serialize;

use super::extract::Json;
use crate::app::App;
use crate::signup::SignupMode;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientConfig {
    teacher_signup: SignupMode,
}

pub async fn client_config(State(app): State<Arc<App>>) -> Json<ClientConfig> {
    Json(ClientConfig { teacher_signup: app.signup.mode })
}
