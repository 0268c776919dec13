//! Guildhall: a self-hosted community web app where company customers and
//! partners meet in groups and communities and join them by invitation.

pub mod assets;
pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod head;
pub mod input_guard;
pub mod mail;
pub mod models;
pub mod policy;
pub mod routes;
#[cfg(feature = "seed")]
pub mod seed;
pub mod services;
pub mod startup;
pub mod state;
pub mod views;
pub mod webhooks;
