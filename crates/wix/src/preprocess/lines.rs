//! The output text with its line map: which source `file:line` every output line starts at.

/// The output text and, per output line, the (file id, line) it starts at.
pub(super) struct Out {
    pub(super) text: String,
    pub(super) lines: Vec<(u32, u32)>,
    pub(super) cur: (u32, u32),
    /// Whether the current output line has anything but whitespace (see `set_origin`).
    pub(super) content: bool,
    /// A source switch that happened after content on the current line: the next content
    /// goes on a new line labelled with this, unless a newline comes first anyway.
    pub(super) pending: Option<(u32, u32)>,
}

impl Out {
    pub(super) fn newline(&mut self, next: (u32, u32)) {
        self.lines.push(self.cur);
        self.text.push('\n');
        self.cur = next;
        self.content = false;
        self.pending = None;
    }

    /// Appends source-derived text that starts on `file:line`; each `\n` in it starts the
    /// next source line.
    pub(super) fn push(&mut self, s: &str, file: u32, line: u32) {
        let mut l = line;
        for (i, piece) in s.split('\n').enumerate() {
            if i > 0 {
                l = l.saturating_add(1);
                self.newline((file, l));
            }
            if piece.bytes().any(|b| !matches!(b, b' ' | b'\t')) {
                if let Some(origin) = self.pending {
                    self.newline(origin);
                }
                self.content = true;
            }
            self.text.push_str(piece);
        }
    }

    /// Appends `s` where its branch is taken (`emit`), else only its newlines.
    pub(super) fn copy(&mut self, emit: bool, s: &str, file: u32, line: u32) {
        if emit {
            self.push(s, file, line);
        } else {
            self.newlines(s, file, line);
        }
    }

    /// Emits only the newlines of a consumed source region, keeping the line map in step.
    pub(super) fn newlines(&mut self, s: &str, file: u32, line: u32) {
        let mut l = line;
        for _ in s.bytes().filter(|&b| b == b'\n') {
            l = l.saturating_add(1);
            self.newline((file, l));
        }
    }

    /// The source switches (into or out of an included file or a loop body). The current
    /// output line, if it holds only whitespace, is simply relabelled; otherwise the next
    /// content starts a line of its own (unless a newline comes first). An inserted newline
    /// only adds whitespace between elements, which WiX ignores.
    pub(super) fn set_origin(&mut self, file: u32, line: u32) {
        if self.content {
            self.pending = Some((file, line));
        } else {
            self.cur = (file, line);
            self.pending = None;
        }
    }
}

pub(super) fn count_newlines(s: &str) -> u32 {
    s.bytes()
        .filter(|&b| b == b'\n')
        .count()
        .min(u32::MAX as usize) as u32
}
