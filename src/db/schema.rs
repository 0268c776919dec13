// Written by hand in types both backends share; see diesel.toml.

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Nullable<Text>,
        username_key -> Nullable<Text>,
        email -> Text,
        email_key -> Text,
        first_name -> Text,
        last_name -> Text,
        country_code -> Nullable<Text>,
        phone -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        status -> Text,
        is_site_admin -> Bool,
        email_verified_at -> Nullable<Timestamp>,
        approved_at -> Nullable<Timestamp>,
        session_epoch -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        account_id -> Nullable<BigInt>,
        is_super_user -> Bool,
        seeded -> Bool,
    }
}

diesel::table! {
    email_verifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    account_links (id) {
        id -> BigInt,
        user_id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        new_email -> Nullable<Text>,
        new_email_key -> Nullable<Text>,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    rate_limits (scope_key) {
        scope_key -> Text,
        window_start -> Timestamp,
        hits -> BigInt,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        kind -> Text,
        recipient -> Text,
        subject -> Text,
        message_id -> Text,
        status -> Text,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox_bodies (outbox_id) {
        outbox_id -> BigInt,
        text_body -> Text,
        html_body -> Text,
    }
}

diesel::table! {
    invite_reports (id) {
        id -> BigInt,
        group_id -> BigInt,
        inviter_id -> BigInt,
        form -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    invite_report_lines (id) {
        id -> BigInt,
        report_id -> BigInt,
        entry -> Text,
        outcome -> Text,
        detail -> Text,
        groups -> Text,
    }
}

diesel::joinable!(outbox_bodies -> outbox (outbox_id));
diesel::joinable!(email_verifications -> users (user_id));
diesel::joinable!(account_links -> users (user_id));

diesel::table! {
    sessions (id) {
        id -> BigInt,
        key_hash -> Text,
        user_id -> BigInt,
        epoch -> BigInt,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        user_agent -> Text,
        client_address -> Text,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(sessions -> users (user_id));

diesel::table! {
    conversations (id) {
        id -> BigInt,
        subject -> Text,
        created_at -> Timestamp,
        last_message_at -> Timestamp,
    }
}

diesel::table! {
    conversation_members (id) {
        id -> BigInt,
        conversation_id -> BigInt,
        user_id -> BigInt,
        other_user_id -> Nullable<BigInt>,
        unread -> Bool,
        last_message_id -> BigInt,
        last_read_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        conversation_id -> BigInt,
        sender_id -> Nullable<BigInt>,
        body -> Text,
        kind -> Nullable<Text>,
        ref_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        text -> Text,
        link_path -> Nullable<Text>,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
        ref_id -> Nullable<BigInt>,
    }
}

diesel::joinable!(conversation_members -> conversations (conversation_id));
diesel::joinable!(messages -> conversations (conversation_id));

diesel::table! {
    groups (id) {
        id -> BigInt,
        name -> Text,
        name_key -> Text,
        slug -> Text,
        description -> Text,
        join_method -> Text,
        audience -> Text,
        parent_id -> Nullable<BigInt>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        account_id -> Nullable<BigInt>,
        member_count -> BigInt,
    }
}

diesel::table! {
    roles (id) {
        id -> BigInt,
        group_id -> Nullable<BigInt>,
        name -> Text,
        name_key -> Text,
        permissions -> Text,
        builtin -> Bool,
        created_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    group_ancestors (group_id, ancestor_id) {
        group_id -> BigInt,
        ancestor_id -> BigInt,
        depth -> Integer,
    }
}

diesel::table! {
    invitation_send_counts (scope, subject_id, hour) {
        scope -> Text,
        subject_id -> BigInt,
        hour -> BigInt,
        sends -> BigInt,
    }
}

diesel::table! {
    memberships (id) {
        id -> BigInt,
        group_id -> BigInt,
        user_id -> BigInt,
        role_id -> BigInt,
        username_key -> Text,
        joined_at -> Timestamp,
        invited_by -> Nullable<BigInt>,
        sort_key -> Text,
        name_key -> Text,
    }
}

diesel::table! {
    join_requests (id) {
        id -> BigInt,
        group_id -> BigInt,
        user_id -> BigInt,
        status -> Text,
        created_at -> Timestamp,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(memberships -> groups (group_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(memberships -> roles (role_id));
diesel::joinable!(join_requests -> groups (group_id));
diesel::joinable!(join_requests -> users (user_id));

diesel::table! {
    company_accounts (id) {
        id -> BigInt,
        name -> Text,
        name_key -> Text,
        kind -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        actor_id -> BigInt,
        subject_user_id -> Nullable<BigInt>,
        account_id -> Nullable<BigInt>,
        group_id -> Nullable<BigInt>,
        kind -> Text,
        detail -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cases (id) {
        id -> BigInt,
        account_id -> BigInt,
        raised_by -> BigInt,
        title -> Text,
        description -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    case_comments (id) {
        id -> BigInt,
        case_id -> BigInt,
        author_id -> BigInt,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(users -> company_accounts (account_id));
diesel::joinable!(case_comments -> cases (case_id));

diesel::table! {
    invitations (id) {
        id -> BigInt,
        group_id -> BigInt,
        inviter_id -> BigInt,
        invitee_user_id -> Nullable<BigInt>,
        invitee_email -> Text,
        invitee_email_key -> Text,
        role_id -> BigInt,
        message -> Nullable<Text>,
        status -> Text,
        link_nonce -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        sent_at -> Timestamp,
        expires_at -> Timestamp,
        answered_at -> Nullable<Timestamp>,
        last_mail_id -> Nullable<BigInt>,
        batch_id -> Nullable<BigInt>,
        reminded_expiry -> Nullable<Timestamp>,
        reminded_points -> Integer,
        expiry_noted -> Nullable<Timestamp>,
        tell_inviter -> Bool,
    }
}

diesel::table! {
    invitation_events (id) {
        id -> BigInt,
        invitation_id -> BigInt,
        kind -> Text,
        actor_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    retired_invitation_links (id) {
        id -> BigInt,
        invitation_id -> BigInt,
        token_hash -> Text,
        retired_at -> Timestamp,
    }
}

diesel::joinable!(invitations -> groups (group_id));
diesel::joinable!(invitations -> roles (role_id));
diesel::joinable!(invitation_events -> invitations (invitation_id));
diesel::joinable!(invite_report_lines -> invite_reports (report_id));

diesel::table! {
    invitation_policies (group_id) {
        group_id -> BigInt,
        allowed_domains -> Text,
        blocked_domains -> Text,
        include_subdomains -> Bool,
        block_disposable -> Bool,
        who_may_invite -> Text,
        invitations_off -> Bool,
        updated_by -> Nullable<BigInt>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    suggestions (id) {
        id -> BigInt,
        group_id -> BigInt,
        suggester_id -> BigInt,
        invitee -> Text,
        invitee_key -> Text,
        reason -> Text,
        status -> Text,
        created_at -> Timestamp,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        invitation_id -> Nullable<BigInt>,
    }
}

diesel::joinable!(suggestions -> groups (group_id));

diesel::table! {
    join_links (id) {
        id -> BigInt,
        group_id -> BigInt,
        role_id -> BigInt,
        created_by -> Nullable<BigInt>,
        link_nonce -> Text,
        token_hash -> Text,
        max_uses -> Integer,
        uses -> Integer,
        allowed_domain -> Nullable<Text>,
        expires_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
        disabled_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    join_link_uses (id) {
        id -> BigInt,
        link_id -> BigInt,
        user_id -> Nullable<BigInt>,
        who -> Text,
        used_at -> Timestamp,
    }
}

diesel::joinable!(join_links -> groups (group_id));
diesel::joinable!(join_links -> roles (role_id));
diesel::joinable!(join_link_uses -> join_links (link_id));

diesel::table! {
    csv_imports (id) {
        id -> BigInt,
        group_id -> BigInt,
        inviter_id -> BigInt,
        file_name -> Text,
        state -> Text,
        rows_total -> Integer,
        will_invite -> Integer,
        rows_done -> Integer,
        lease_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    csv_import_rows (id) {
        id -> BigInt,
        import_id -> BigInt,
        line -> Integer,
        entry -> Text,
        community -> Text,
        role -> Text,
        message -> Text,
        outcome -> Text,
        detail -> Text,
    }
}

diesel::joinable!(csv_imports -> groups (group_id));
diesel::joinable!(csv_import_rows -> csv_imports (import_id));

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        prefix -> Text,
        scopes -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_token_groups (token_id, group_id) {
        token_id -> BigInt,
        group_id -> BigInt,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(api_token_groups -> api_tokens (token_id));
diesel::joinable!(api_token_groups -> groups (group_id));

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        group_id -> BigInt,
        url -> Text,
        secret -> Text,
        events -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        hook_id -> BigInt,
        delivery_key -> Text,
        event -> Text,
        payload -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        response_status -> Nullable<Integer>,
        response_ms -> Nullable<Integer>,
        error -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(webhooks -> groups (group_id));
diesel::joinable!(webhook_deliveries -> webhooks (hook_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    email_verifications,
    account_links,
    rate_limits,
    sessions,
    outbox,
    outbox_bodies,
    conversations,
    conversation_members,
    messages,
    notifications,
    groups,
    group_ancestors,
    roles,
    memberships,
    join_requests,
    company_accounts,
    audit_events,
    cases,
    case_comments,
    invitations,
    invitation_events,
    invitation_send_counts,
    retired_invitation_links,
    invite_reports,
    invite_report_lines,
    invitation_policies,
    suggestions,
    join_links,
    join_link_uses,
    csv_imports,
    csv_import_rows,
    api_tokens,
    api_token_groups,
    webhooks,
    webhook_deliveries,
);
