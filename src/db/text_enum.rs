//! States kept in a text column (`invitations.status`, `users.status`,
//! `join_requests.status`, `outbox.status`) read and written as their Rust enums on both
//! backends, so no code compares a state as a string. The enum derives `AsExpression` and `FromSqlRow`
//! with `sql_type = Text` and has `as_str` and `parse`; this adds the rest.

/// `FromSql` and `ToSql` for `Text`, through the enum's `as_str` / `parse`.
/// An unknown stored word is a deserialisation error, not a silent default.
macro_rules! text_enum {
    ($t:ty) => {
        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $t
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(value: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let word = String::from_sql(value)?;
                <$t>::parse(&word).ok_or_else(|| {
                    format!(concat!("not a ", stringify!($t), ": {:?}"), word).into()
                })
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $t
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }
    };
}

text_enum!(crate::domain::InvitationStatus);
text_enum!(crate::domain::UserStatus);
text_enum!(crate::domain::JoinRequestStatus);
text_enum!(crate::domain::MailStatus);
text_enum!(crate::domain::SuggestionStatus);
text_enum!(crate::domain::DeliveryState);
