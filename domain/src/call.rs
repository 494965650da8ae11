//! Voice calls in a chat (V7, O26): browser-to-browser audio over WebRTC between the visitor
//! and the operator who called. The server only relays what the two browsers tell each other
//! (the visitor's accept, the offer, the answer and ICE candidates) over the product's own API
//! and streams, to the other party of the call and nobody else; the chat records that the
//! call started and ended.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode};
use crate::ids::OperatorId;
use crate::time::Timestamp;

/// Longest session description relayed, in bytes (an audio-only offer is about 2–5 KB).
pub const MAX_SDP_BYTES: usize = 12 * 1024;
/// Longest ICE candidate line relayed, in bytes.
pub const MAX_CANDIDATE_BYTES: usize = 1024;
/// Longest media id (`sdpMid`) relayed.
pub const MAX_MID_BYTES: usize = 64;

/// The call under way in a chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Call {
    /// The operator who called.
    pub operator: OperatorId,
    /// When.
    pub started_at: Timestamp,
}

/// What one browser of a call tells the other, relayed by the server as it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CallSignal {
    /// The visitor took the call: the operator's browser makes its offer.
    Accept,
    /// A session description offering audio.
    Offer {
        /// The SDP.
        sdp: String,
    },
    /// The answer to it.
    Answer {
        /// The SDP.
        sdp: String,
    },
    /// An ICE candidate.
    Ice {
        /// The `candidate:` line; empty at the end of the candidates.
        candidate: String,
        /// Its media id.
        #[serde(default)]
        sdp_mid: Option<String>,
        /// Its media line.
        #[serde(default)]
        sdp_m_line_index: Option<u16>,
    },
    /// Muted or unmuted, so the other side can say so.
    Mute {
        /// Muted now?
        muted: bool,
    },
}

fn invalid(field: &str, message: &str) -> Error {
    Error::invalid(field, message.to_owned())
}

impl CallSignal {
    /// The signal if it is well formed: a session description of audio within
    /// [`MAX_SDP_BYTES`], a candidate line within [`MAX_CANDIDATE_BYTES`]. Anything else is
    /// refused and relayed to nobody.
    pub fn validate(self) -> Result<Self, Error> {
        match &self {
            Self::Offer { sdp } | Self::Answer { sdp } => {
                if sdp.len() > MAX_SDP_BYTES {
                    return Err(Error::new(
                        ErrorCode::PayloadTooLarge,
                        format!("A session description holds at most {MAX_SDP_BYTES} bytes."),
                    ));
                }
                let well_formed = sdp.starts_with("v=0")
                    && sdp.lines().any(|l| l.starts_with("m=audio "))
                    && sdp.lines().all(|l| {
                        let l = l.trim_end_matches('\r');
                        l.is_empty() || (l.len() > 2 && l.as_bytes()[1] == b'=')
                    });
                if !well_formed {
                    return Err(invalid(
                        "sdp",
                        "That is not a session description of an audio call.",
                    ));
                }
            }
            Self::Ice {
                candidate,
                sdp_mid,
                sdp_m_line_index,
            } => {
                if candidate.len() > MAX_CANDIDATE_BYTES {
                    return Err(Error::new(
                        ErrorCode::PayloadTooLarge,
                        format!("An ICE candidate holds at most {MAX_CANDIDATE_BYTES} bytes."),
                    ));
                }
                if !candidate.is_empty()
                    && (!candidate.starts_with("candidate:")
                        || candidate.contains(['\r', '\n'])
                        || candidate.split(' ').count() < 8)
                {
                    return Err(invalid("candidate", "That is not an ICE candidate."));
                }
                if sdp_mid.as_ref().is_some_and(|m| m.len() > MAX_MID_BYTES)
                    || sdp_m_line_index.is_some_and(|i| i > 16)
                {
                    return Err(invalid("sdp_mid", "That media line is not in the call."));
                }
            }
            Self::Accept | Self::Mute { .. } => {}
        }
        Ok(self)
    }
}

/// Most STUN/TURN servers in the settings.
pub const MAX_ICE_SERVERS: usize = 8;

/// A STUN or TURN server, as `RTCPeerConnection` takes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IceServer {
    /// `stun:`, `stuns:`, `turn:` or `turns:` address.
    pub urls: String,
    /// TURN user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// TURN credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

impl IceServer {
    /// Reads the settings' lines: `url`, or `url username credential` (TURN).
    pub fn parse_lines(text: &str) -> Result<Vec<Self>, Error> {
        let wrong = |message: &str| Error::invalid("ice_servers", message.to_owned());
        let mut servers = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if servers.len() == MAX_ICE_SERVERS {
                return Err(wrong("At most 8 STUN or TURN servers."));
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            let url = parts[0];
            let scheme_ok = ["stun:", "stuns:", "turn:", "turns:"]
                .iter()
                .any(|s| url.starts_with(s) && url.len() > s.len());
            if !scheme_ok || url.len() > 256 {
                return Err(wrong(
                    "Each line starts with a stun:, stuns:, turn: or turns: address.",
                ));
            }
            let (username, credential) = match parts.as_slice() {
                [_] => (None, None),
                [_, user, secret] if user.len() <= 128 && secret.len() <= 256 => {
                    (Some((*user).to_owned()), Some((*secret).to_owned()))
                }
                _ => {
                    return Err(wrong(
                        "A TURN server's line is: address user-name credential.",
                    ));
                }
            };
            if url.starts_with("turn") && username.is_none() {
                return Err(wrong("A TURN server needs a user name and a credential."));
            }
            servers.push(Self {
                urls: url.to_owned(),
                username,
                credential,
            });
        }
        Ok(servers)
    }

    /// The settings' lines for these servers.
    pub fn to_lines(servers: &[Self]) -> String {
        servers
            .iter()
            .map(|s| match (&s.username, &s.credential) {
                (Some(user), Some(secret)) => format!("{} {user} {secret}", s.urls),
                _ => s.urls.clone(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Seconds between two times, for the call's length.
pub fn seconds_between(from: Timestamp, to: Timestamp) -> u32 {
    u32::try_from(to.millis_since(from).max(0) / 1000).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n";

    #[test]
    fn well_formed_signals_pass() {
        assert!(CallSignal::Offer { sdp: OFFER.into() }.validate().is_ok());
        assert!(CallSignal::Answer { sdp: OFFER.into() }.validate().is_ok());
        let ice = CallSignal::Ice {
            candidate: "candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host generation 0".into(),
            sdp_mid: Some("0".into()),
            sdp_m_line_index: Some(0),
        };
        assert!(ice.validate().is_ok());
        let end = CallSignal::Ice {
            candidate: String::new(),
            sdp_mid: None,
            sdp_m_line_index: None,
        };
        assert!(end.validate().is_ok());
    }

    #[test]
    fn ice_servers_are_read_from_lines_and_written_back() {
        let text = "stun:stun.example.org:3478\n\n turn:turn.example.org:3478 ann s3cret ";
        let servers = IceServer::parse_lines(text).unwrap_or_default();
        assert_eq!(servers.len(), 2);
        assert_eq!(servers[1].username.as_deref(), Some("ann"));
        assert_eq!(
            IceServer::to_lines(&servers),
            "stun:stun.example.org:3478\nturn:turn.example.org:3478 ann s3cret"
        );
        for bad in ["http://x", "turn:turn.example.org", "stun:x a", "stun:"] {
            let err = IceServer::parse_lines(bad).err().map(|e| e.field);
            assert_eq!(err, Some(Some("ice_servers".to_owned())), "{bad}");
        }
        assert!(IceServer::parse_lines("").unwrap_or_default().is_empty());
    }

    #[test]
    fn malformed_or_oversized_signals_are_refused() {
        let code = |signal: CallSignal| signal.validate().err().map(|e| e.code);
        assert_eq!(
            code(CallSignal::Offer {
                sdp: "hello".into()
            }),
            Some(ErrorCode::InvalidField)
        );
        assert_eq!(
            code(CallSignal::Offer {
                sdp: "v=0\r\nm=video 9 RTP 96\r\n".into()
            }),
            Some(ErrorCode::InvalidField)
        );
        assert_eq!(
            code(CallSignal::Answer {
                sdp: format!("{OFFER}{}", "a=x\r\n".repeat(MAX_SDP_BYTES / 5))
            }),
            Some(ErrorCode::PayloadTooLarge)
        );
        assert_eq!(
            code(CallSignal::Ice {
                candidate: "<script>".into(),
                sdp_mid: None,
                sdp_m_line_index: None
            }),
            Some(ErrorCode::InvalidField)
        );
        assert_eq!(
            code(CallSignal::Ice {
                candidate: format!("candidate:{}", "1 ".repeat(MAX_CANDIDATE_BYTES)),
                sdp_mid: None,
                sdp_m_line_index: None
            }),
            Some(ErrorCode::PayloadTooLarge)
        );
        assert_eq!(seconds_between(Timestamp(1_000), Timestamp(62_999)), 61);
    }
}
