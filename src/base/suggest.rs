//! "Did you mean" suggestions by edit distance.

/// The candidate closest to `word`, if it is close enough to be a likely typo.
/// Ties go to the candidate sharing the longest prefix with `word` (typos are
/// rarer at the start of a word), then to the first in alphabetical order.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| {
            let lower = c.to_lowercase();
            let prefix = word
                .chars()
                .zip(lower.chars())
                .take_while(|(a, b)| a == b)
                .count();
            (distance(&word, &lower), std::cmp::Reverse(prefix), c)
        })
        .filter(|(d, _, _)| *d <= limit)
        .min()
        .map(|(_, _, c)| c)
}

/// Edit distance counting insertions, deletions, substitutions and swaps of
/// two neighbouring characters (`GPB` is one edit from `GBP`).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, cell) in d.iter_mut().step_by(width).enumerate() {
        *cell = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// A character that is hard to see, named for a message: `a no-break
/// space (U+00A0)`, `a tab (U+0009)`, `the character U+200B`.
pub fn character_name(c: char) -> String {
    let name = match c {
        '\t' => "a tab",
        '\r' => "a carriage return",
        '\n' => "a line break",
        '\u{a0}' => "a no-break space",
        '\u{2007}' => "a figure space",
        '\u{202f}' => "a narrow no-break space",
        '\u{3000}' => "an ideographic space",
        '\u{2000}'..='\u{200a}' => "a typographic space",
        '\u{200b}' => "a zero-width space",
        '\u{feff}' => "a zero-width no-break space (byte order mark)",
        _ => return format!("the character U+{:04X}", u32::from(c)),
    };
    format!("{name} (U+{:04X})", u32::from(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        let members = ["ads_manager", "business_center", "agency"];
        assert_eq!(closest("ads_manger", members), Some("ads_manager"));
        assert_eq!(closest("agnecy", members), Some("agency"));
        assert_eq!(closest("spaceship", members), None);
    }

    #[test]
    fn prefers_the_longer_shared_prefix_and_counts_swaps_once() {
        assert_eq!(closest("USX", ["UGX", "USD"]), Some("USD"));
        assert_eq!(closest("GPB", ["GBP", "GIP"]), Some("GBP"));
    }
}
