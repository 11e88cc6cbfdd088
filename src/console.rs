//! The one owner of standard error. Every line patrol prints there goes through a [`Console`]:
//! problems, notes, warnings, messages, the progress bar (suspended while a line is printed) and
//! the yes/no question asked on the terminal. `-q` silences all of it except the question and a
//! fatal error. Everything printed to a terminal, here or in the text report, first goes through
//! [`escape`], so a file name holding escape sequences cannot rewrite the screen.

mod progress;

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget};

use crate::cli::ColorChoice;
pub use progress::{Counting, Tally};

/// Control characters (and the bidirectional overrides) written as visible escapes: `\x1b`,
/// `\u{9b}`, `\u{202e}`. Text without any comes back borrowed.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether text written to a stream gets colour: `--color`, then `NO_COLOR`, then whether the
/// stream is a terminal.
pub fn use_color(choice: ColorChoice, stream_is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            !no_color && stream_is_terminal
        }
    }
}

/// Prints a fatal error, whatever `-q` says: the last thing a failed run prints.
pub fn fatal(message: &str) {
    let _ = writeln!(
        std::io::stderr().lock(),
        "patrol: error: {}",
        escape(message)
    );
}

pub struct Console {
    quiet: bool,
    /// Problems and warnings in colour (`--color`, `NO_COLOR`, stderr a terminal).
    color: bool,
    bar: Mutex<Option<Bar>>,
}

/// The bar on screen and the counts it draws.
struct Bar {
    bar: ProgressBar,
    tally: Arc<Tally>,
}

impl Console {
    /// `quiet` (`-q`) silences everything but questions and fatal errors. No colour.
    pub fn new(quiet: bool) -> Console {
        Console {
            quiet,
            color: false,
            bar: Mutex::new(None),
        }
    }

    /// Colour for problems and warnings as `--color` and `NO_COLOR` decide for stderr.
    pub fn with_color(self, choice: ColorChoice) -> Console {
        self.with_color_on(choice, std::io::stderr().is_terminal())
    }

    fn with_color_on(mut self, choice: ColorChoice, stderr_is_terminal: bool) -> Console {
        self.color = use_color(choice, stderr_is_terminal);
        self
    }

    /// `text` wrapped in the SGR `code` when colour is on.
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// Starts the progress bar (only when stderr is a terminal and not quiet), counting files
    /// and drawing the figures of `tally` (read when drawn: updating them costs nothing).
    pub fn start_progress(&self, tally: Arc<Tally>) {
        if self.quiet || !std::io::stderr().is_terminal() {
            return;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(8));
        bar.set_style(progress::style(Counting::Files, tally.clone()));
        bar.enable_steady_tick(Duration::from_millis(125));
        *self.bar.lock().unwrap_or_else(|e| e.into_inner()) = Some(Bar { bar, tally });
    }

    /// From now on the bar counts `total` units as `counting` says, from none done.
    pub fn count_progress(&self, counting: Counting, total: u64) {
        if let Some(b) = &*self.bar.lock().unwrap_or_else(|e| e.into_inner()) {
            b.bar.set_style(progress::style(counting, b.tally.clone()));
            b.bar.set_length(total);
            b.bar.set_position(0);
        }
    }

    /// One more unit done.
    pub fn progress_step(&self) {
        if let Some(b) = &*self.bar.lock().unwrap_or_else(|e| e.into_inner()) {
            b.bar.inc(1);
        }
    }

    /// Draws the final figures once (between ticks, steps are not drawn), then clears the bar
    /// for good.
    pub fn finish_progress(&self) {
        if let Some(b) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            b.bar.force_draw();
            b.bar.finish_and_clear();
        }
    }

    /// A problem with one input: `patrol: PATH: MESSAGE`.
    pub fn problem(&self, path: &str, message: &str) {
        self.lines([format!(
            "patrol: {}: {}",
            escape(path),
            self.paint("31", &escape(message))
        )]);
    }

    /// A fact about the run: `patrol: note: MESSAGE`.
    pub fn note(&self, message: &str) {
        self.lines([format!("patrol: note: {}", escape(message))]);
    }

    /// Something the user should look at: `patrol: warning: MESSAGE`.
    pub fn warning(&self, message: &str) {
        self.lines([format!(
            "patrol: {} {}",
            self.paint("1;33", "warning:"),
            escape(message)
        )]);
    }

    /// One line of a message: `patrol: MESSAGE`.
    pub fn message(&self, message: &str) {
        self.lines([format!("patrol: {}", escape(message))]);
    }

    /// A block of lines printed together, each escaped (an empty string is a blank line).
    pub fn block<I, S>(&self, lines: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.lines(lines.into_iter().map(|l| escape(l.as_ref()).into_owned()));
    }

    /// Prints already-escaped lines, with the bar out of the way.
    fn lines(&self, lines: impl IntoIterator<Item = String>) {
        if self.quiet {
            return;
        }
        let print = || {
            let mut err = std::io::stderr().lock();
            for line in lines {
                let _ = writeln!(err, "{line}");
            }
        };
        let bar = self.progress_bar();
        match bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    /// The bar on screen, if any (a handle: printing around it must not hold the lock).
    fn progress_bar(&self) -> Option<ProgressBar> {
        let bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        bar.as_ref().map(|b| b.bar.clone())
    }

    /// Asks a yes/no question on the terminal (even with `-q`: the answer is needed); `None`
    /// when there is no terminal to ask on.
    pub fn confirm(&self, question: &str) -> Option<bool> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let tty = std::fs::File::open("/dev/tty").ok()?;
        let ask = || {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "{} [y/N] ", escape(question));
            let _ = err.flush();
            let mut answer = String::new();
            std::io::BufReader::new(tty).read_line(&mut answer).ok()?;
            Some(matches!(
                answer.trim().to_ascii_lowercase().as_str(),
                "y" | "yes"
            ))
        };
        let bar = self.progress_bar();
        match bar {
            Some(bar) => bar.suspend(ask),
            None => ask(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_characters() {
        assert_eq!(escape("plain/path.txt"), "plain/path.txt");
        assert_eq!(escape("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(escape("x\ny\tz\x7f"), "x\\x0ay\\x09z\\x7f");
        assert_eq!(escape("\u{9b}2J \u{202e}"), "\\u{9b}2J \\u{202e}");
        assert_eq!(escape("naïve → ok"), "naïve → ok");
    }

    #[test]
    fn problems_and_warnings_in_colour_only_when_chosen() {
        let plain = Console::new(false).with_color_on(ColorChoice::Never, true);
        assert!(!plain.color);
        assert_eq!(plain.paint("31", "gone"), "gone");
        let forced = Console::new(false).with_color_on(ColorChoice::Always, false);
        assert!(forced.color);
        assert_eq!(forced.paint("31", "gone"), "\x1b[31mgone\x1b[0m");
        // `auto` without a terminal (as under `cargo test`) stays plain.
        assert!(
            !Console::new(false)
                .with_color_on(ColorChoice::Auto, false)
                .color
        );
        assert!(
            !Console::new(false).with_color(ColorChoice::Auto).color
                || std::io::stderr().is_terminal()
        );
    }
}
