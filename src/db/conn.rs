//! `DbConn`: diesel's MultiConnection over the backends compiled in.
//! The derive does not honour `#[cfg]` on variants, so each feature set gets
//! its own enum; exactly one of them is compiled.

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("enable at least one of the features `sqlite` and `postgres`");

#[cfg(all(feature = "sqlite", feature = "postgres"))]
mod imp {
    #[derive(diesel::MultiConnection)]
    pub enum DbConn {
        Sqlite(diesel::SqliteConnection),
        Pg(diesel::PgConnection),
    }
}

#[cfg(all(feature = "sqlite", not(feature = "postgres")))]
mod imp {
    #[derive(diesel::MultiConnection)]
    pub enum DbConn {
        Sqlite(diesel::SqliteConnection),
    }
}

#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
mod imp {
    #[derive(diesel::MultiConnection)]
    pub enum DbConn {
        Pg(diesel::PgConnection),
    }
}

pub use imp::{DbConn, MultiBackend};
