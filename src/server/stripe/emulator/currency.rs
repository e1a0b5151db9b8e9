//! The ISO currency codes Stripe accepts (docs.stripe.com/currencies). A local currency is not one
//! of them, which is why Regio reports the fiat amount it is pegged to.

const SUPPORTED: &[&str] = &[
    "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn", "bam", "bbd", "bdt", "bgn", "bhd", "bif", "bmd", "bnd", "bob", "brl", "bsd", "bwp",
    "byn", "bzd", "cad", "cdf", "chf", "clp", "cny", "cop", "crc", "cve", "czk", "djf", "dkk", "dop", "dzd", "egp", "etb", "eur", "fjd", "fkp", "gbp", "gel",
    "gip", "gmd", "gnf", "gtq", "gyd", "hkd", "hnl", "htg", "huf", "idr", "ils", "inr", "isk", "jmd", "jod", "jpy", "kes", "kgs", "khr", "kmf", "krw", "kwd",
    "kyd", "kzt", "lak", "lbp", "lkr", "lrd", "lsl", "mad", "mdl", "mga", "mkd", "mmk", "mnt", "mop", "mur", "mvr", "mwk", "mxn", "myr", "mzn", "nad", "ngn",
    "nio", "nok", "npr", "nzd", "omr", "pab", "pen", "pgk", "php", "pkr", "pln", "pyg", "qar", "ron", "rsd", "rub", "rwf", "sar", "sbd", "scr", "sek", "sgd",
    "shp", "sle", "sos", "srd", "std", "szl", "thb", "tjs", "tnd", "top", "try", "ttd", "twd", "tzs", "uah", "ugx", "usd", "uyu", "uzs", "vnd", "vuv", "wst",
    "xaf", "xcd", "xcg", "xof", "xpf", "yer", "zar", "zmw",
];

/// The lowercase code when Stripe supports it (the API accepts any case).
pub fn normalize(code: &str) -> Option<String> {
    let lower = code.to_ascii_lowercase();
    SUPPORTED.binary_search(&lower.as_str()).is_ok().then_some(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_so_binary_search_works() {
        assert!(SUPPORTED.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn fiat_codes_pass_and_local_currencies_do_not() {
        assert_eq!(normalize("JPY").as_deref(), Some("jpy"));
        assert_eq!(normalize("xyz"), None);
        assert_eq!(normalize("jp"), None);
    }
}
