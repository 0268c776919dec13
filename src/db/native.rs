//! Running the busiest statements without diesel's per-call overhead.
//!
//! `DbConn` (diesel's MultiConnection) writes out the SQL text of every
//! statement it runs, twice, even when the statement is already prepared,
//! and diesel never keeps an UPDATE, an upsert, an `eq_any` list (on
//! SQLite; PostgreSQL binds it as one array) or a `sql_query` prepared
//! (their text may change between calls). Measured with `perf` under W3
//! (bench/run): 42 % of the SQLite writer thread's time, building SQL 24 %
//! and preparing again 18 %. The hot paths therefore use:
//!
//! - [`native!`](crate::native): runs a query on the backend's own
//!   connection, where a statement with a static query id is found in the
//!   prepared-statement cache by its type, without writing any SQL;
//! - [`Sql`]: a statement of constant text with `?` for its binds, which
//!   diesel keeps prepared, keyed by that text;
//! - [`Column`]: an expression of constant text (a scalar subquery) as a
//!   column of a query built with diesel, which stays prepared with it.

use diesel::QueryResult;
use diesel::RunQueryDsl;
use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

/// Runs `$body` with `$c` bound to the backend's own connection inside
/// `$conn` (a `&mut DbConn`). The body is compiled once per backend, so a
/// query using `as_select()` must be built inside it.
#[macro_export]
macro_rules! native {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            $crate::db::DbConn::Sqlite($c) => $body,
            #[cfg(feature = "postgres")]
            $crate::db::DbConn::Pg($c) => $body,
        }
    };
}

/// A statement of constant SQL text, written once for both backends, with
/// `?` where each bind goes (`$n` on PostgreSQL is written for it). `binds`
/// is a tuple of `value.into_sql::<Type>()`, in order.
/// Unlike `sql_query` it stays prepared: its text cannot change.
#[derive(Debug, Clone, Copy)]
pub struct Sql<B> {
    text: &'static str,
    binds: B,
}

impl<B> Sql<B> {
    pub fn new(text: &'static str, binds: B) -> Self {
        Sql { text, binds }
    }
}

/// A row of an [`Sql`] statement that returns only `id`s (`SELECT id …`,
/// `… RETURNING id`).
#[derive(Debug, Clone, Copy, diesel::QueryableByName)]
pub struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
}

/// The binds of an [`Sql`]: walks the `n`-th one.
pub trait Binds<DB: Backend> {
    const LEN: usize;
    fn walk_nth<'b>(&'b self, n: usize, pass: AstPass<'_, 'b, DB>) -> QueryResult<()>;
}

macro_rules! binds_tuple {
    ($len:expr; $($t:ident $i:tt),+) => {
        impl<DB: Backend, $($t: QueryFragment<DB>),+> Binds<DB> for ($($t,)+) {
            const LEN: usize = $len;
            fn walk_nth<'b>(&'b self, n: usize, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
                match n {
                    $($i => self.$i.walk_ast(pass),)+
                    _ => unreachable!("checked against LEN"),
                }
            }
        }
    };
}
impl<DB: Backend> Binds<DB> for () {
    const LEN: usize = 0;
    fn walk_nth<'b>(&'b self, _: usize, _: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        unreachable!("checked against LEN")
    }
}
binds_tuple!(1; A 0);
binds_tuple!(2; A 0, B 1);
binds_tuple!(3; A 0, B 1, C 2);
binds_tuple!(4; A 0, B 1, C 2, D 3);
binds_tuple!(5; A 0, B 1, C 2, D 3, E 4);
binds_tuple!(6; A 0, B 1, C 2, D 3, E 4, F 5);
binds_tuple!(7; A 0, B 1, C 2, D 3, E 4, F 5, G 6);
binds_tuple!(8; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
binds_tuple!(9; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);

/// Writes `text` with each `?` replaced by the next of `binds`.
fn walk_text<'b, DB: Backend, B: Binds<DB>>(
    text: &'static str,
    binds: &'b B,
    mut pass: AstPass<'_, 'b, DB>,
) -> QueryResult<()> {
    let mut pieces = text.split('?');
    let first = pieces.next().unwrap_or_default();
    pass.push_sql(first);
    let mut n = 0;
    for piece in pieces {
        if n == B::LEN {
            return Err(diesel::result::Error::QueryBuilderError(
                format!("more `?` than binds in: {text}").into(),
            ));
        }
        binds.walk_nth(n, pass.reborrow())?;
        pass.push_sql(piece);
        n += 1;
    }
    if n != B::LEN {
        return Err(diesel::result::Error::QueryBuilderError(
            format!("fewer `?` than binds in: {text}").into(),
        ));
    }
    Ok(())
}

impl<B, DB> QueryFragment<DB> for Sql<B>
where
    DB: Backend,
    B: Binds<DB>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        walk_text(self.text, &self.binds, pass)
    }
}

impl<B> QueryId for Sql<B> {
    // Keyed by its text: two statements may share bind types.
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<B> Query for Sql<B> {
    // Rows are read by name (`QueryableByName`).
    type SqlType = diesel::sql_types::Untyped;
}

impl<B, Conn> RunQueryDsl<Conn> for Sql<B> {}

/// The text of a [`Column`]: an expression of constant SQL (a scalar
/// subquery), with `?` where each bind goes.
pub trait ColumnText: 'static {
    const TEXT: &'static str;
    type SqlType: diesel::sql_types::SingleValue;
}

/// An expression of constant SQL text as one column of a diesel query, so
/// that a query built with diesel can carry a scalar subquery diesel cannot
/// write (a count of a LIMITed subquery) and stay prepared: unlike
/// `dsl::sql`, its type is its query id. It may name the query's tables.
#[derive(Debug, Clone, Copy)]
pub struct Column<T, B> {
    binds: B,
    text: std::marker::PhantomData<T>,
}

impl<T: ColumnText, B> Column<T, B> {
    pub fn new(binds: B) -> Self {
        Column {
            binds,
            text: std::marker::PhantomData,
        }
    }
}

impl<T: ColumnText, B> diesel::Expression for Column<T, B> {
    type SqlType = T::SqlType;
}

impl<T: ColumnText, B: Binds<DB>, DB: Backend> QueryFragment<DB> for Column<T, B> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        walk_text(T::TEXT, &self.binds, pass)
    }
}

impl<T: ColumnText, B: QueryId> QueryId for Column<T, B> {
    type QueryId = (T, B::QueryId);
    const HAS_STATIC_QUERY_ID: bool = B::HAS_STATIC_QUERY_ID;
}

impl<T: ColumnText, B, QS> diesel::AppearsOnTable<QS> for Column<T, B> {}
impl<T: ColumnText, B, QS> diesel::SelectableExpression<QS> for Column<T, B> {}
impl<T: ColumnText, B> diesel::expression::ValidGrouping<()> for Column<T, B> {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::Sql;
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Text};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        n: i64,
        #[diesel(sql_type = Text)]
        s: String,
    }

    /// A connection counting the statements diesel prepares to keep.
    fn counting_prepares() -> (SqliteConnection, Arc<AtomicUsize>) {
        use diesel::connection::{Instrumentation, InstrumentationEvent};
        let mut c = SqliteConnection::establish(":memory:").unwrap();
        let prepared_to_keep = Arc::new(AtomicUsize::new(0));
        let seen = prepared_to_keep.clone();
        let counter = move |e: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::CacheQuery { .. } = e {
                seen.fetch_add(1, Ordering::Relaxed);
            }
        };
        c.set_instrumentation(Box::new(counter) as Box<dyn Instrumentation>);
        (c, prepared_to_keep)
    }

    #[test]
    fn binds_go_where_the_marks_are_and_the_statement_stays_prepared() {
        let (mut c, prepared_to_keep) = counting_prepares();
        for (n, s) in [(1, "a"), (2, "b"), (3, "c")] {
            let row: Row = Sql::new(
                "SELECT ? + 40 AS n, 'x' || ? AS s",
                (n.into_sql::<BigInt>(), s.into_sql::<Text>()),
            )
            .get_result(&mut c)
            .unwrap();
            assert_eq!(
                row,
                Row {
                    n: n + 40,
                    s: format!("x{s}")
                }
            );
        }
        assert_eq!(
            prepared_to_keep.load(Ordering::Relaxed),
            1,
            "prepared once, kept"
        );
        let wrong = Sql::new(
            "SELECT ? AS n",
            (1.into_sql::<BigInt>(), 2.into_sql::<BigInt>()),
        )
        .execute(&mut c);
        assert!(wrong.is_err(), "two binds, one mark");
    }

    struct Plus;
    impl super::ColumnText for Plus {
        const TEXT: &'static str = "(SELECT COUNT(*) FROM (SELECT 1 UNION ALL SELECT 2) t) + ?";
        type SqlType = BigInt;
    }

    #[test]
    fn a_column_of_sql_text_binds_and_stays_prepared_in_a_diesel_query() {
        let (mut c, prepared_to_keep) = counting_prepares();
        for n in [1i64, 5, 40] {
            let got: (i64, i64) = diesel::select((
                n.into_sql::<BigInt>(),
                super::Column::<Plus, _>::new((n.into_sql::<BigInt>(),)),
            ))
            .get_result(&mut c)
            .unwrap();
            assert_eq!(got, (n, n + 2));
        }
        assert_eq!(prepared_to_keep.load(Ordering::Relaxed), 1);
    }
}
