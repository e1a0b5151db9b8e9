//! Accounts, a transaction's page and refunds.

texts! { Money {
    placeholder_money: "(placeholder)", "（仮）";
}}
