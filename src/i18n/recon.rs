//! Reconciliation: the queue, a case and its fixes.

texts! { Recon {
    placeholder_recon: "(placeholder)", "（仮）";
}}
