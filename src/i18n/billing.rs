//! Billing: invoices, subscriptions, plans, dunning and Stripe events.

texts! { Billing {
    placeholder_billing: "(placeholder)", "（仮）";
}}
