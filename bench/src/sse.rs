//! An incremental Server-Sent Events parser.
//!
//! Bytes arrive in arbitrary chunks; lines end in `\n` (a trailing `\r` is dropped, so `\r\n`
//! works too) and a blank line ends a frame. A frame collects `id:`, `event:`, `data:` (several
//! `data:` lines join with `\n`) and `retry:` fields and counts comment lines (`: heartbeat`).
//! Anything the bench cannot read — a line that is not UTF-8, an unknown field, a `retry:` that is
//! not a number, an over-long line — makes the whole frame an error, so it is counted rather than
//! silently dropped.

/// Longest line accepted before the parser gives up on it (1 MiB).
const MAX_LINE: usize = 1 << 20;

/// One frame, as read between blank lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    /// The `id:` field.
    pub id: Option<String>,
    /// The `event:` field.
    pub event: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: Option<String>,
    /// The `retry:` field, in milliseconds.
    pub retry: Option<u64>,
    /// How many comment lines (`: …`) the frame had.
    pub comments: usize,
}

impl Frame {
    fn is_empty(&self) -> bool {
        self == &Frame::default()
    }
}

/// Turns a byte stream into frames.
#[derive(Debug, Default)]
pub struct Parser {
    /// Bytes of a line not yet ended.
    partial: Vec<u8>,
    /// The frame being read.
    current: Frame,
    /// Why the frame being read is unreadable, if it is.
    bad: Option<String>,
}

impl Parser {
    /// Feeds a chunk; appends every frame it completes to `out` (`Err` for unreadable ones).
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<Result<Frame, String>>) {
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            let (line, tail) = rest.split_at(end);
            rest = tail.get(1..).unwrap_or_default();
            if self.partial.is_empty() {
                self.line(line, out);
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                self.line(&whole, out);
            }
        }
        if self.partial.len() + rest.len() > MAX_LINE {
            self.partial.clear();
            self.bad = Some(format!("a line longer than {MAX_LINE} bytes"));
        } else {
            self.partial.extend_from_slice(rest);
        }
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<Result<Frame, String>>) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            let frame = std::mem::take(&mut self.current);
            match self.bad.take() {
                Some(why) => out.push(Err(why)),
                None if frame.is_empty() => {}
                None => out.push(Ok(frame)),
            }
            return;
        }
        let Ok(line) = std::str::from_utf8(line) else {
            self.bad = Some("a line that is not UTF-8".into());
            return;
        };
        if line.starts_with(':') {
            self.current.comments += 1;
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "id" => self.current.id = Some(value.to_owned()),
            "event" => self.current.event = Some(value.to_owned()),
            "data" => match &mut self.current.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.current.data = Some(value.to_owned()),
            },
            "retry" => match value.parse() {
                Ok(ms) => self.current.retry = Some(ms),
                Err(_) => self.bad = Some(format!("retry is not a number: {value:?}")),
            },
            other => self.bad = Some(format!("unknown field {other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(chunks: &[&[u8]]) -> Vec<Result<Frame, String>> {
        let mut parser = Parser::default();
        let mut out = Vec::new();
        for chunk in chunks {
            parser.push(chunk, &mut out);
        }
        out
    }

    #[test]
    fn reads_the_servers_frames_across_chunk_boundaries() {
        let stream = b"retry: 1000\n\nid: 7\nevent: message_posted\ndata: {\"client_id\":\"a\"}\n\n: heartbeat\n\n";
        for split in 0..stream.len() {
            let (a, b) = stream.split_at(split);
            let frames = parse(&[a, b]);
            assert_eq!(frames.len(), 3, "split at {split}");
            assert_eq!(frames[0].as_ref().map(|f| f.retry), Ok(Some(1000)));
            let event = frames[1].as_ref().unwrap();
            assert_eq!(event.id.as_deref(), Some("7"));
            assert_eq!(event.event.as_deref(), Some("message_posted"));
            assert_eq!(event.data.as_deref(), Some("{\"client_id\":\"a\"}"));
            assert_eq!(frames[2].as_ref().map(|f| f.comments), Ok(1));
        }
    }

    #[test]
    fn joins_data_lines_and_accepts_crlf() {
        let frames = parse(&[b"data: a\r\ndata:b\r\n\r\n"]);
        assert_eq!(frames[0].as_ref().unwrap().data.as_deref(), Some("a\nb"));
    }

    #[test]
    fn unreadable_frames_are_errors_not_dropped() {
        let frames = parse(&[b"bogus: 1\ndata: x\n\nretry: soon\n\ndata: \xff\n\ndata: ok\n\n"]);
        assert_eq!(frames.len(), 4);
        assert!(frames[0].is_err());
        assert!(frames[1].is_err());
        assert!(frames[2].is_err());
        assert_eq!(frames[3].as_ref().unwrap().data.as_deref(), Some("ok"));
    }

    #[test]
    fn blank_lines_alone_yield_nothing_and_partial_frames_wait() {
        assert!(parse(&[b"\n\n\n"]).is_empty());
        assert!(parse(&[b"data: not yet\n"]).is_empty());
    }
}
