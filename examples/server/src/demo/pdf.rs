//! A tiny one-page PDF writer for the demo documents: a bold title and lines of text in
//! Helvetica, enough for a real file that any PDF viewer opens.

/// Longest number of body lines kept on the page.
const MAX_LINES: usize = 52;

/// Encodes text for a PDF string literal in WinAnsiEncoding: escapes `\`, `(` and `)`, maps
/// the few non-ASCII characters the demo uses and replaces anything else with `?`.
fn pdf_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '(' => out.push_str("\\("),
            ')' => out.push_str("\\)"),
            '£' => out.push_str("\\243"),
            '–' => out.push_str("\\226"),
            '—' => out.push_str("\\227"),
            '’' => out.push_str("\\222"),
            '·' => out.push_str("\\267"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

/// A one-page A4 PDF with `title` in bold and `lines` beneath it.
pub fn document(title: &str, lines: &[String]) -> Vec<u8> {
    let mut content = format!(
        "BT /F2 17 Tf 56 780 Td ({}) Tj ET\n0.12 0.31 0.47 RG 1.5 w 56 768 m 539 768 l S\n\
         BT /F1 10.5 Tf 56 744 Td 14.5 TL\n",
        pdf_text(title)
    );
    for line in lines.iter().take(MAX_LINES) {
        content.push_str(&format!("({}) Tj T*\n", pdf_text(line)));
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
         /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>"
            .to_string(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_string(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ),
    ];
    let mut pdf = String::from("%PDF-1.4\n");
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.push_str(&format!("{} 0 obj\n{body}\nendobj\n", i + 1));
    }
    let xref = pdf.len();
    pdf.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for o in offsets {
        pdf.push_str(&format!("{o:010} 00000 n \n"));
    }
    pdf.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    pdf.into_bytes()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_xref_points_at_each_object() {
        let pdf = document("Gas safety (CP12)", &["Fee £85.00 – paid".into()]);
        let text = String::from_utf8(pdf.clone()).unwrap();
        assert!(text.starts_with("%PDF-1.4\n") && text.ends_with("%%EOF\n"));
        let start: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(text[start..].starts_with("xref\n0 7\n"));
        for (i, line) in text[start..].lines().skip(3).take(6).enumerate() {
            let off: usize = line[..10].parse().unwrap();
            assert!(
                text[off..].starts_with(&format!("{} 0 obj", i + 1)),
                "object {}",
                i + 1
            );
        }
        assert!(text.contains("(Gas safety \\(CP12\\)) Tj"));
        assert!(text.contains("(Fee \\24385.00 \\226 paid) Tj"));
    }

    #[test]
    fn the_stream_length_is_exact() {
        let pdf = String::from_utf8(document("T", &["a".into(), "b".into()])).unwrap();
        let (head, rest) = pdf.split_once("stream\n").unwrap();
        let len: usize = head
            .rsplit("/Length ")
            .next()
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(&rest[len..len + 9], "endstream");
    }
}
