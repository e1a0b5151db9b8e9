//! CSV for spreadsheets: quoting, and defusing cells a spreadsheet would run as a formula.

/// Quotes a field when it holds a separator, a quote or a line break; a leading `=`, `+`, `-`,
/// `@`, tab or carriage return (spreadsheets skip the last two before looking for a formula) is
/// prefixed with `'` so a spreadsheet shows the cell instead of running it.
pub fn cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_string() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

/// One line of cells, each quoted or defused as needed, ending in a newline.
pub fn csv_line(fields: &[String]) -> String {
    let mut line = fields.iter().map(|f| cell(f)).collect::<Vec<_>>().join(",");
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        // Spreadsheets skip leading whitespace before deciding a cell is a formula.
        assert_eq!(cell("\t=cmd|' /C calc'!A0"), "'\t=cmd|' /C calc'!A0");
        assert_eq!(cell("\r=1+1"), "\"'\r=1+1\"");
        assert_eq!(cell("a=b"), "a=b");
    }
}
