//! A small incremental parser for `text/event-stream` bodies read through `fetch`.
//!
//! Chunks arrive split at arbitrary points; the parser keeps the unfinished line and the event
//! being built between calls. Comment lines (`:` first) are heartbeats and are ignored; a blank
//! line ends an event.

/// One complete server-sent event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `id:` field, if the event had one.
    pub id: Option<String>,
    /// The `event:` field, if the event had one.
    pub event: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
}

/// Incremental parser state.
#[derive(Debug, Default)]
pub struct SseParser {
    buf: String,
    id: Option<String>,
    event: Option<String>,
    data: Option<String>,
}

impl SseParser {
    /// Feeds a decoded chunk and returns every event it completed.
    pub fn push(&mut self, chunk: &str) -> Vec<SseEvent> {
        self.buf.push_str(chunk);
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = self.buf.as_bytes();
        let mut lines = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => {
                    lines.push((start, i));
                    i += 1;
                    start = i;
                }
                b'\r' => {
                    if i + 1 == bytes.len() {
                        // Maybe the first half of `\r\n`: wait for the next chunk.
                        break;
                    }
                    lines.push((start, i));
                    i += if bytes[i + 1] == b'\n' { 2 } else { 1 };
                    start = i;
                }
                _ => i += 1,
            }
        }
        let buf = std::mem::take(&mut self.buf);
        for (from, to) in lines {
            if let Some(line) = buf.get(from..to) {
                self.line(line, &mut out);
            }
        }
        self.buf = buf.get(start..).unwrap_or_default().to_owned();
        out
    }

    fn line(&mut self, line: &str, out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            let id = self.id.take();
            let event = self.event.take();
            if let Some(data) = self.data.take() {
                out.push(SseEvent { id, event, data });
            }
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "id" => self.id = Some(value.to_owned()),
            "event" => self.event = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str, event: &str, data: &str) -> SseEvent {
        SseEvent {
            id: Some(id.into()),
            event: Some(event.into()),
            data: data.into(),
        }
    }

    #[test]
    fn parses_whole_events_and_skips_heartbeats() {
        let mut p = SseParser::default();
        let out = p.push(": hi\n\nid: 1\nevent: a\ndata: {\"x\":1}\n\n:ping\n\n");
        assert_eq!(out, vec![ev("1", "a", "{\"x\":1}")]);
    }

    #[test]
    fn handles_chunks_split_anywhere_and_crlf() {
        let text = "id: 5\r\nevent: message_posted\r\ndata: one\r\ndata: two\r\n\r\nid: 6\nevent: b\ndata:x\n\n";
        for cut in 0..text.len() {
            let mut p = SseParser::default();
            let mut out = p.push(&text[..cut]);
            out.extend(p.push(&text[cut..]));
            assert_eq!(
                out,
                vec![ev("5", "message_posted", "one\ntwo"), ev("6", "b", "x")],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn incomplete_event_waits_for_blank_line() {
        let mut p = SseParser::default();
        assert!(p.push("id: 1\ndata: a\n").is_empty());
        assert_eq!(p.push("\n").len(), 1);
    }
}
