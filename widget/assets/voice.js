/* Switchboard voice calls (V7, O26): browser-to-browser audio over WebRTC, shared by the
 * bubble and the operator console and fetched only when a call starts. The page hands it a
 * `send(signal)` that posts to the server (which relays to the other party of the call), and
 * passes on every `call` signal it hears with `receive(signal)`.
 *
 *   var call = SwitchboardVoice.start({ caller: true|false, send: fn, iceServers: [...],
 *                                       onstate: fn(state) });
 *   call.accept();      // the visitor takes the call: microphone, then "accept"
 *   call.receive(sig);  // accept / offer / answer / ice / mute from the other side
 *   call.mute(true);    // silences this side's microphone
 *   call.close();       // hang up here (the page also tells the server)
 *
 * States: "ringing", "connecting", "connected", "muted-by-peer", "failed", "ended". The other
 * side's audio plays in an <audio> element with data-testid="call-audio". */
(function () {
  "use strict";
  if (window.SwitchboardVoice) return;

  function start(options) {
    var send = options.send;
    var onstate = options.onstate || function () {};
    var pc = new RTCPeerConnection({ iceServers: options.iceServers || [] });
    var local = null;
    var pending = [];
    var remoteSet = false;
    var ended = false;
    // The caller offers once; the callee repeats "accept" until the offer comes, since the
    // caller's page may still be setting its side up when the first one arrives.
    var offered = false;
    var heard = false;
    var again = null;
    var audio = document.createElement("audio");
    audio.autoplay = true;
    audio.setAttribute("data-testid", "call-audio");
    audio.style.display = "none";
    document.body.appendChild(audio);

    function state(s) {
      if (!ended) onstate(s);
    }

    pc.onicecandidate = function (event) {
      var c = event.candidate;
      if (c)
        send({
          type: "ice",
          candidate: c.candidate,
          sdp_mid: c.sdpMid,
          sdp_m_line_index: c.sdpMLineIndex,
        });
    };
    pc.ontrack = function (event) {
      audio.srcObject = event.streams[0] || new MediaStream([event.track]);
      var played = audio.play();
      if (played && played.catch) played.catch(function () {});
    };
    pc.onconnectionstatechange = function () {
      if (pc.connectionState === "connected") state("connected");
      else if (pc.connectionState === "failed") state("failed");
    };

    function microphone() {
      if (local) return Promise.resolve(local);
      return navigator.mediaDevices
        .getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true }, video: false })
        .then(function (stream) {
          local = stream;
          stream.getTracks().forEach(function (track) {
            pc.addTrack(track, stream);
          });
          return stream;
        });
    }

    function flush() {
      remoteSet = true;
      var queued = pending;
      pending = [];
      queued.forEach(addCandidate);
    }

    function addCandidate(signal) {
      if (!remoteSet) {
        pending.push(signal);
        return;
      }
      pc.addIceCandidate(
        signal.candidate
          ? {
              candidate: signal.candidate,
              sdpMid: signal.sdp_mid,
              sdpMLineIndex: signal.sdp_m_line_index,
            }
          : null
      ).catch(function () {});
    }

    function fail() {
      state("failed");
    }

    state(options.caller ? "ringing" : "ringing");
    return {
      accept: function () {
        state("connecting");
        return microphone().then(function () {
          var tries = 0;
          send({ type: "accept" });
          again = setInterval(function () {
            if (ended || heard || ++tries > 10) clearInterval(again);
            else send({ type: "accept" });
          }, 1500);
        }, fail);
      },
      receive: function (signal) {
        if (ended || !signal) return;
        if (signal.type === "accept" && options.caller) {
          if (offered) return;
          offered = true;
          state("connecting");
          microphone()
            .then(function () {
              return pc.createOffer();
            })
            .then(function (offer) {
              return pc.setLocalDescription(offer);
            })
            .then(function () {
              send({ type: "offer", sdp: pc.localDescription.sdp });
            })
            .catch(fail);
        } else if (signal.type === "offer" && !options.caller) {
          if (heard) return;
          heard = true;
          clearInterval(again);
          pc.setRemoteDescription({ type: "offer", sdp: signal.sdp })
            .then(function () {
              flush();
              return microphone();
            })
            .then(function () {
              return pc.createAnswer();
            })
            .then(function (answer) {
              return pc.setLocalDescription(answer);
            })
            .then(function () {
              send({ type: "answer", sdp: pc.localDescription.sdp });
            })
            .catch(fail);
        } else if (signal.type === "answer" && options.caller) {
          pc.setRemoteDescription({ type: "answer", sdp: signal.sdp }).then(flush, fail);
        } else if (signal.type === "ice") {
          addCandidate(signal);
        } else if (signal.type === "mute") {
          state(signal.muted ? "muted-by-peer" : "connected");
        }
      },
      mute: function (muted) {
        if (local)
          local.getAudioTracks().forEach(function (track) {
            track.enabled = !muted;
          });
        send({ type: "mute", muted: !!muted });
      },
      close: function () {
        if (ended) return;
        state("ended");
        ended = true;
        clearInterval(again);
        if (local)
          local.getTracks().forEach(function (track) {
            track.stop();
          });
        pc.close();
        audio.srcObject = null;
        audio.remove();
      },
    };
  }

  window.SwitchboardVoice = { start: start };
})();
