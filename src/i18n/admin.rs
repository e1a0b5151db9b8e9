//! Users, audit, settings, import and search.

texts! { Admin {
    placeholder_admin: "(placeholder)", "（仮）";
}}
