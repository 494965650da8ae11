// The visitor's chat panel: loaded by loader.js on the first open and mounted into the
// launcher's container. Plain JavaScript so that opening the bubble costs a visitor a few
// kilobytes (the build holds it to its budget). It talks only to the public visitor API
// (DESIGN §7); the server decides everything and words the chat's system lines
// (`text` on each event, from the domain's descriptions), so the panel only shows them.
//
// The chat on screen is folded by `Conversation` from events and signals. It touches neither
// the browser nor the clock (time is passed in), so its rules run under `node --test`.

var SIGNAL_TTL_MS = 6000;
var SIGNAL_REPEAT_MS = 3000;
var FIRST_RETRY_MS = 500;
// Longest wait between retries while the visitor looks at the page, and while it is hidden
// (showing it again retries at once).
var MAX_RETRY_VISIBLE_MS = 3000;
var MAX_RETRY_HIDDEN_MS = 30000;
var RESTORED_MS = 3000;
var TOKEN_KEY = "switchboard:token";

// The panel's words for why live chat is not offered (the config's `offline` reason).
export var OFFLINE = {
  off: "Live chat is not available right now.",
  outside_hours: "We are closed right now.",
  nobody_available: "All our operators are away right now.",
  follow_up_request: "Anything more we can do for you?",
};

var LIVE = { waiting: 1, active: 1 };

// The chat on screen as its visitor sees it: lines, status, hold, queue, typing, receipt.
export function Conversation(chat) {
  this.id = chat.id;
  this.status = "waiting";
  this.lines = [];
  this.hold = null;
  this.typing = [];
  this.sealed = false;
  this.left = false;
  this.endingTold = false;
  this.queue = null;
  this.answered = false;
  this.kicked = false;
  this.rated = null;
  this.seenUpTo = 0;
  (chat.events || [])
    .slice()
    .sort(function (a, b) {
      return a.id - b.id;
    })
    .forEach(this.apply, this);
  this.status = chat.status;
  this.sealed = !chat.open;
  this.seenUpTo = chat.seen_up_to || 0;
  this.queue =
    chat.queue_position == null
      ? null
      : { position: chat.queue_position, wait: chat.estimated_wait_seconds };
  if (!chat.on_hold) this.hold = null;
  else if (!this.hold) this.hold = "The operator will be right back with you";
  if (this.ended()) this.typing = [];
}

var C = Conversation.prototype;
C.live = function () {
  return !!LIVE[this.status];
};
// The visitor's part is over: no input, only "Start a new chat".
C.ended = function () {
  return this.sealed || this.left || !this.live();
};
C.open = function () {
  return !this.ended();
};
// More events may come, so the stream is worth keeping open.
C.listening = function () {
  return !this.sealed && this.live();
};
C.waiting = function () {
  return this.open() && this.status === "waiting";
};
C.queuePlace = function () {
  return this.waiting() ? this.queue : null;
};
C.holdBanner = function () {
  return this.open() && this.status === "active" ? this.hold : null;
};
C.canRate = function () {
  return this.ended() && this.answered && !this.kicked && this.rated == null;
};
C.endedWithoutLine = function () {
  return this.ended() && !this.endingTold;
};
C.typingText = function () {
  if (this.ended()) return null;
  var names = this.typing.map(function (t) {
    return t.name;
  });
  if (!names.length) return null;
  if (names.length === 1) return names[0] + " is typing…";
  var last = names.pop();
  return names.join(", ") + " and " + last + " are typing…";
};
// Under the visitor's newest message: true once an operator saw it, false before; null when
// they wrote nothing.
C.receipt = function () {
  for (var i = this.lines.length - 1; i >= 0; i--) {
    if (this.lines[i].author === "visitor") return this.lines[i].id <= this.seenUpTo;
  }
  return null;
};
// What to tell the server the visitor has now seen: the newest line, when a line that is not
// theirs arrived after `reported`.
C.seenToReport = function (reported) {
  var lines = this.lines;
  if (!lines.length) return null;
  var fresh = lines.some(function (l) {
    return l.id > reported && l.author !== "visitor";
  });
  return fresh ? lines[lines.length - 1].id : null;
};
C.markLeft = function () {
  this.left = true;
  this.typing = [];
};
C.stopTyping = function (operator) {
  var before = this.typing.length;
  this.typing = this.typing.filter(function (t) {
    return t.operator !== operator;
  });
  return this.typing.length !== before;
};
// Folds one event in; returns whether anything changed. Events of other chats, events seen
// before and anything after the visitor's part ended are ignored.
C.apply = function (e) {
  if (e.chat_id !== this.id) return false;
  if (e.type === "chat_rated") {
    var changed = this.rated !== e.stars;
    this.rated = e.stars;
    return changed;
  }
  if (
    this.sealed ||
    this.lines.some(function (l) {
      return l.id === e.id;
    })
  )
    return false;
  var participant = e.role === "participant";
  if (
    e.type === "operator_accepted" ||
    (participant && (e.type === "operator_joined" || e.type === "role_changed"))
  )
    this.answered = true;
  var line = null;
  var text = e.text || null;
  switch (e.type) {
    case "message_posted":
      if (e.note) return false;
      if (e.author && e.author.kind === "operator") {
        this.stopTyping(e.author.id);
        line = { author: "operator", name: e.author_name, body: e.body };
      } else {
        line = { author: "visitor", body: e.body };
      }
      break;
    case "hold_changed":
      // On hold, the banner says it while it holds; no line.
      this.hold = e.on_hold ? text : null;
      if (!e.on_hold && text) line = { text: text };
      break;
    case "operator_left":
      this.stopTyping(e.operator);
      if (text) line = { text: text };
      break;
    case "visitor_kicked":
      this.kicked = true;
    // falls through: each of these ends the visitor's part and says how
    case "chat_closed":
    case "visitor_left":
      this.sealed = true;
      this.endingTold = true;
      if (text) line = { text: text };
      break;
    case "status_changed":
      this.status = e.status;
      if (e.status !== "active") this.hold = null;
      if (!this.live()) this.sealed = true;
      if (text) line = { text: text };
      break;
    default:
      // The server sends a visitor only what is theirs to read, worded in `text`.
      if (!text) return false;
      line = { text: text };
  }
  if (this.sealed) this.typing = [];
  if (line) {
    line.id = e.id;
    var at = 0;
    while (at < this.lines.length && this.lines[at].id < e.id) at++;
    this.lines.splice(at, 0, line);
  }
  return true;
};
// Folds a signal in, heard at `now`; returns whether anything changed.
C.signal = function (s, now) {
  if (s.chat_id !== this.id) return false;
  if (s.type === "seen") {
    if (s.by_visitor || !(s.up_to > this.seenUpTo)) return false;
    this.seenUpTo = s.up_to;
    return true;
  }
  if (s.type === "queue") {
    var q = this.queue;
    if (q && q.position === s.position && q.wait === s.estimated_wait_seconds) return false;
    this.queue = { position: s.position, wait: s.estimated_wait_seconds };
    return true;
  }
  if (s.type !== "typing" || s.note || !s.author || s.author.kind !== "operator") return false;
  if (this.ended()) return false;
  var id = s.author.id;
  if (!s.active) return this.stopTyping(id);
  var until = now + SIGNAL_TTL_MS;
  var typist = this.typing.find(function (t) {
    return t.operator === id;
  });
  if (typist) {
    var renamed = typist.name !== s.name;
    typist.name = s.name;
    typist.until = until;
    return renamed;
  }
  this.typing.push({ operator: id, name: s.name, until: until });
  return true;
};
// Forgets typing signals that were not repeated in time.
C.expireTyping = function (now) {
  var before = this.typing.length;
  this.typing = this.typing.filter(function (t) {
    return now < t.until;
  });
  return this.typing.length !== before;
};

// When to tell the server the visitor types: on the first keystroke, again at most every
// SIGNAL_REPEAT_MS while they keep typing, and "stopped" once when the input empties or the
// message goes. Each call answers the `active` value to send, or null.
export function TypingReport() {
  this.sentAt = null;
}
TypingReport.prototype.input = function (text, now) {
  if (!text.trim()) return this.stop();
  if (this.sentAt != null && now - this.sentAt < SIGNAL_REPEAT_MS) return null;
  this.sentAt = now;
  return true;
};
TypingReport.prototype.stop = function () {
  var was = this.sentAt != null;
  this.sentAt = null;
  return was ? false : null;
};

// Server-sent events read from a fetch stream, chunk by chunk.
export function SseParser() {
  this.buf = "";
  this.reset();
}
SseParser.prototype.reset = function () {
  this.id = this.event = this.data = null;
};
SseParser.prototype.push = function (chunk) {
  var out = [];
  var lines = (this.buf + chunk).split(/\r\n|\n|\r/);
  // The last piece is incomplete (and a lone "\r" at the end may be half of "\r\n").
  this.buf = lines.pop();
  if (/\r$/.test(chunk) && this.buf === "") {
    this.buf = lines.pop() + "\r";
  }
  for (var i = 0; i < lines.length; i++) this.line(lines[i], out);
  return out;
};
SseParser.prototype.line = function (line, out) {
  if (line === "") {
    if (this.data != null) out.push({ id: this.id, event: this.event, data: this.data });
    this.reset();
    return;
  }
  if (line[0] === ":") return;
  var colon = line.indexOf(":");
  var field = colon < 0 ? line : line.slice(0, colon);
  var value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
  if (field === "id") this.id = value;
  else if (field === "event") this.event = value;
  else if (field === "data") this.data = this.data == null ? value : this.data + "\n" + value;
};

// Reads one frame: events carry an `id:` and move the cursor, and one at or before it is a
// replay and is dropped; signals carry none and never move it (they are not replayed).
export function decodeFrame(frame, cursor) {
  var body;
  try {
    body = JSON.parse(frame.data);
  } catch (err) {
    return null;
  }
  if (frame.id == null) return { signal: body };
  if (!(body.id > cursor.at)) return null;
  cursor.at = body.id;
  return { event: body };
}

// `value` as a `#rrggbb` colour (lowercased), or null.
export function accent(value) {
  value = String(value || "").trim();
  return /^#[0-9a-fA-F]{6}$/.test(value) ? value.toLowerCase() : null;
}

// The channel a chat starts in: the only one offered, or the visitor's pick among several.
export function chosenChannel(config, picked) {
  var channels = config.channels || [];
  if (channels.length === 1) return channels[0].id;
  return channels.some(function (c) {
    return c.id === picked;
  })
    ? picked
    : null;
}

// Channel ids are UUIDs: a snippet may write them in capitals, without hyphens or in braces.
function uuid(id) {
  return String(id == null ? "" : id)
    .toLowerCase()
    .replace(/[^0-9a-f]/g, "");
}

function channelOf(config, id) {
  return (config.channels || []).find(function (c) {
    return uuid(c.id) === uuid(id);
  });
}

export function offlineReason(config, channel) {
  if (channel == null) return config.offline || null;
  var c = channelOf(config, channel);
  return (c && c.offline) || null;
}

export function nameRequired(config, channel) {
  var c = channel == null ? null : channelOf(config, channel);
  return c ? c.name_required : config.name_required;
}

// The server's config with the snippet's overrides applied and the colour checked.
export function applyOptions(options, config) {
  config = Object.assign({}, config);
  if (options.title) config.title = options.title;
  if (options.greeting) config.greeting = options.greeting;
  config.color = options.color || accent(config.color) || "#2563eb";
  // Bound to an open channel: the only choice. Bound to one archived since: the visitor picks.
  var bound = options.channel && channelOf(config, options.channel);
  if (bound) config.channels = [bound];
  return config;
}

function nonBlank(s) {
  s = String(s == null ? "" : s).trim();
  return s || null;
}

// ---- Browser side ---------------------------------------------------------------------

var storage = {
  get: function () {
    try {
      return localStorage.getItem(TOKEN_KEY) || null;
    } catch (err) {
      return null;
    }
  },
  set: function (t) {
    try {
      if (t) localStorage.setItem(TOKEN_KEY, t);
      else localStorage.removeItem(TOKEN_KEY);
    } catch (err) {
      /* storage refused: the token lives for this page only */
    }
  },
};

function sleep(ms) {
  return new Promise(function (resolve) {
    setTimeout(resolve, ms);
  });
}

// Retries wait with jitter, and wake at once when the network or the page comes back.
var waiting = [];
function wake() {
  waiting.splice(0).forEach(function (resolve) {
    resolve();
  });
}
function retryAfter(ms) {
  return new Promise(function (resolve) {
    waiting.push(resolve);
    setTimeout(resolve, ms * (0.5 + Math.random() * 0.5));
  });
}
function nextDelay(delay) {
  return Math.min(delay * 2, document.hidden ? MAX_RETRY_HIDDEN_MS : MAX_RETRY_VISIBLE_MS);
}

function clientId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  var id = "c-";
  for (var i = 0; i < 4; i++) {
    id += ("0000000" + Math.floor(Math.random() * 4294967296).toString(16)).slice(-8);
  }
  return id;
}

function h(tag, attrs) {
  var el = document.createElement(tag);
  for (var k in attrs || {}) {
    var v = attrs[k];
    if (v == null || v === false) continue;
    if (k === "text") el.textContent = v;
    else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
    else if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (var i = 2; i < arguments.length; i++) {
    var child = arguments[i];
    if (child != null && child !== false) el.append(child);
  }
  return el;
}

// A place for a part that comes and goes: it is in the page only while shown.
function slot() {
  var anchor = document.createComment("");
  var shown = null;
  return {
    anchor: anchor,
    show: function (node) {
      if (shown === node) return;
      if (shown) shown.remove();
      shown = node || null;
      if (shown) anchor.after(shown);
    },
  };
}

var ICON_CLOSE =
  '<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path d="M6 9l6 6 6-6" ' +
  'fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" ' +
  'stroke-linejoin="round"></path></svg>';
var ICON_SEND =
  '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path d="M3.4 20.4l17.45-' +
  "7.48a1 1 0 000-1.84L3.4 3.6a.99.99 0 00-1.39.91L2 9.12c0 .5.37.93.87.99L17 12 2.87 13.88c-" +
  '.5.07-.87.5-.87 1l.01 4.61c0 .71.73 1.2 1.39.91z" fill="currentColor"></path></svg>';

function field(label, input, optional) {
  return h(
    "label",
    { class: "sb-field" },
    h(
      "span",
      { class: "sb-label", text: label },
      optional ? h("span", { class: "sb-optional", text: " (optional)" }) : null
    ),
    input
  );
}

function textInput(testid, attrs) {
  return h("input", Object.assign({ class: "sb-text", "data-testid": testid, type: "text" }, attrs));
}

// "You are number 2 in the queue. Estimated wait: about 4 minutes."
export function queueText(place) {
  var text = "You are number " + place.position + " in the queue.";
  if (place.wait != null) {
    var minutes = Math.max(1, Math.ceil(place.wait / 60));
    text += " Estimated wait: about " + minutes + (minutes === 1 ? " minute." : " minutes.");
  }
  return text;
}

// ---- The panel ------------------------------------------------------------------------

// Renders the panel inside `root`. `base` is the Switchboard origin; `options` comes from the
// snippet's data attributes (`fields`, `name`, `email`, `title`, `greeting`, `color`,
// `channel`), plus the server's `config` the loader fetched and an `invitation` taken up.
export function mount(root, base, options) {
  base = String(base).replace(/\/+$/, "");
  options = options || {};
  var opts = {
    fields: {},
    name: nonBlank(options.name),
    email: nonBlank(options.email),
    title: nonBlank(options.title),
    greeting: nonBlank(options.greeting),
    color: accent(options.color),
    channel: nonBlank(options.channel),
  };
  var fields = options.fields || {};
  for (var key in fields) if (typeof fields[key] === "string") opts.fields[key] = fields[key];

  var s = {
    config: null,
    phase: "loading",
    chat: null,
    pending: [],
    error: null,
    busy: false,
    connection: "connected",
    offline: null,
    messageLeft: false,
    transcriptSent: null,
    invitation: readInvitation(),
    call: null,
  };
  var rt = {
    token: null,
    lastName: null,
    email: null,
    cursor: { at: 0 },
    streamGen: 0,
    abort: null,
    outbox: false,
    typing: new TypingReport(),
    seen: null,
    voice: null,
    wantsCall: null,
  };

  function readInvitation() {
    var i = options.invitation;
    return i && i.id ? { id: String(i.id), operator: i.operator_name || "", message: i.message || "" } : null;
  }

  // ---- API ----
  function token() {
    if (!rt.token) rt.token = storage.get();
    return rt.token;
  }
  function setToken(t) {
    storage.set(t);
    rt.token = t;
  }
  function api(method, path, body, raw) {
    var headers = {};
    var t = token();
    if (t) headers.Authorization = "Bearer " + t;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(base + "/api/v1" + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(
      function (resp) {
        if (!resp.ok) {
          return resp
            .json()
            .catch(function () {
              return {};
            })
            .then(function (b) {
              var e = (b && b.error) || {};
              throw {
                status: resp.status,
                code: e.code || "",
                message:
                  nonBlank(e.message) ||
                  "Something went wrong (HTTP " + resp.status + "). Please try again.",
              };
            });
        }
        if (raw) return resp;
        return resp.text().then(function (text) {
          try {
            return text ? JSON.parse(text) : null;
          } catch (err) {
            throw {
              status: 502,
              code: "",
              message: "The chat service sent an answer the bubble could not read.",
            };
          }
        });
      },
      function () {
        throw unreachable();
      }
    ).catch(function (e) {
      // A body cut off mid-read is the network too, not a message for the visitor.
      throw e && typeof e.status === "number" ? e : unreachable();
    });
  }
  function unreachable() {
    return {
      status: 0,
      code: "",
      message: "Could not reach the chat service. Please check your connection.",
    };
  }
  function retryable(e) {
    return !e.status || e.status >= 500 || e.status === 429;
  }
  function forgetToken() {
    setToken(null);
  }
  // Calls until the API answers or fails for good: network errors and 5xx retry with backoff
  // while their message shows, and it clears once an answer comes.
  function settle(call) {
    var delay = FIRST_RETRY_MS;
    function attempt() {
      return call().then(
        function (answer) {
          set({ error: null });
          return answer;
        },
        function (e) {
          if (!retryable(e)) throw e;
          set({ error: e.message });
          return retryAfter(delay).then(function () {
            delay = nextDelay(delay);
            return attempt();
          });
        }
      );
    }
    return attempt();
  }

  // ---- State changes ----
  function set(patch) {
    Object.assign(s, patch);
    render();
  }
  function chatOpen() {
    return !!(s.chat && s.chat.open());
  }
  function openChatId() {
    return chatOpen() ? s.chat.id : null;
  }
  function knownName() {
    return rt.lastName || opts.name || "";
  }
  function knownEmail() {
    return rt.email || opts.email || "";
  }

  function init() {
    addEventListener("online", wake);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) wake();
    });
    var pre = options.config;
    var fetched =
      pre && typeof pre === "object" && !offlineReason(pre, chosenChannel(pre, null))
        ? Promise.resolve(pre)
        : settle(function () {
            return api("GET", "/widget/config");
          });
    fetched
      .catch(function (e) {
        s.error = e.message;
        return { title: "Chat with us", greeting: "", name_required: true, channels: [] };
      })
      .then(function (config) {
        config = applyOptions(opts, config);
        var reason = offlineReason(config, chosenChannel(config, null));
        s.offline = reason ? OFFLINE[reason] || OFFLINE.off : null;
        s.config = config;
        return restore();
      });
  }

  function restore() {
    if (!token()) {
      set({ phase: "form" });
      return Promise.resolve();
    }
    return settle(function () {
      return api("GET", "/visitor");
    }).then(
      function (view) {
        rt.cursor.at = Math.max(rt.cursor.at, view.last_event_id || 0);
        if (view.name) rt.lastName = view.name;
        if (view.email) rt.email = view.email;
        // An ended chat shows too: read-only, with what ended it and "Start a new chat".
        if (view.chat) enterChat(view.chat);
        else showForm();
      },
      function (e) {
        if (e.status === 401) forgetToken();
        else s.error = e.message;
        showForm();
      }
    );
  }

  function enterChat(chat) {
    (chat.events || []).forEach(function (e) {
      rt.cursor.at = Math.max(rt.cursor.at, e.id);
    });
    rt.typing = new TypingReport();
    var c = new Conversation(chat);
    // A voice chat the visitor asked for and the operator has not called yet: wait for the call
    // and take it as it comes (after a reload too).
    var last = null;
    (chat.events || []).forEach(function (e) {
      if (/^call_(requested|started|ended)$/.test(e.type)) last = e;
    });
    if (last && last.type === "call_requested" && c.open()) {
      rt.wantsCall = { chat: c.id, operator: last.operator };
      s.call = { chatId: c.id, operator: last.operator_name, state: "requested", muted: false };
    }
    s.pending = c.open()
      ? s.pending.filter(function (m) {
          return m.chatId === c.id;
        })
      : [];
    set({ chat: c, phase: "chat" });
    if (c.listening()) startStream();
    else stopStream();
  }

  function showForm() {
    stopStream();
    rt.typing = new TypingReport();
    set({
      transcriptSent: null,
      chat: null,
      pending: [],
      phase: s.invitation ? "invited" : "form",
    });
  }

  function invited(invitation) {
    if (chatOpen()) return;
    s.error = null;
    s.invitation = invitation;
    if (s.phase !== "loading") showForm();
    else render();
  }

  function ensureToken(name) {
    if (token()) return Promise.resolve(token());
    return api("POST", "/visitors", {
      name: opts.name || name,
      email: opts.email,
      language: navigator.language || null,
      page_url: location.href,
      referrer: document.referrer || null,
      fields: opts.fields,
    }).then(
      function (created) {
        setToken(created.token);
        return created.token;
      },
      function (e) {
        set({ error: e.message });
        return null;
      }
    );
  }

  // Runs `work` with the busy flag up (a second submit meanwhile is ignored).
  function busy(work) {
    if (s.busy) return;
    set({ busy: true });
    Promise.resolve()
      .then(work)
      .catch(function (e) {
        set({ error: (e && e.message) || String(e) });
      })
      .then(function () {
        set({ busy: false });
      });
  }

  function checkEmail(email) {
    if (email && email.indexOf("@") < 0) {
      set({ error: "Please check your email address." });
      return false;
    }
    return true;
  }

  function start(name, email, message, picked) {
    s.error = null;
    name = nonBlank(name);
    email = nonBlank(email);
    if (!checkEmail(email)) return;
    var config = s.config;
    var channel = chosenChannel(config, picked);
    if ((config.channels || []).length > 1 && channel == null)
      return set({ error: "Please choose a department." });
    if (nameRequired(config, channel) && !name) return set({ error: "Please enter your name." });
    message = nonBlank(message);
    if (!message) return set({ error: "Please type a message." });
    if (email) rt.email = email;
    var request = { name: name, email: email, message: message, client_id: clientId(), channel: channel };
    busy(function attempt(again) {
      return ensureToken(name).then(function (t) {
        if (!t) return;
        return api("POST", "/visitor/chats", request).then(
          function (chat) {
            rt.lastName = name;
            s.error = null;
            enterChat(chat);
          },
          function (e) {
            if (e.status === 401 && again !== true) {
              forgetToken();
              return attempt(true);
            }
            // Closed since the form showed: take a message instead.
            if (e.code === "offline") return set({ offline: e.message });
            // An earlier attempt went through (or another tab started one): show it.
            if (e.code === "chat_already_open") return restore();
            set({ error: e.message });
          }
        );
      });
    });
  }

  function leaveMessage(name, email, message) {
    s.error = null;
    if (!nonBlank(email) || email.indexOf("@") < 0)
      return set({ error: "Please give an email address we can answer to." });
    if (!nonBlank(message)) return set({ error: "Please write your message." });
    name = nonBlank(name);
    var body = {
      name: name,
      email: nonBlank(email),
      message: message,
      channel: chosenChannel(s.config, null),
    };
    busy(function attempt(again) {
      return ensureToken(name).then(function (t) {
        if (!t) return;
        return api("POST", "/visitor/messages", body).then(
          function () {
            set({ messageLeft: true });
          },
          function (e) {
            if (e.status === 401 && again !== true) {
              forgetToken();
              return attempt(true);
            }
            set({ error: e.message });
          }
        );
      });
    });
  }

  function acceptInvitation(name, email, voice) {
    var invitation = s.invitation;
    if (!invitation || s.busy) return;
    s.error = null;
    email = nonBlank(email);
    if (!checkEmail(email)) return;
    name = nonBlank(name);
    busy(function () {
      return ensureToken(name).then(function (t) {
        if (!t) return;
        if (name) rt.lastName = name;
        var path = "/visitor/invitations/" + invitation.id + "/accept";
        return api("POST", path, { name: name, email: email, voice: voice }).then(
          function (chat) {
            s.invitation = null;
            enterChat(chat);
          },
          function (e) {
            if (/^(invitation_closed|operator_unavailable|not_found)$/.test(e.code)) {
              s.invitation = null;
              showForm();
            }
            set({ error: e.message });
          }
        );
      });
    });
  }

  function newChat() {
    var reason = offlineReason(s.config, chosenChannel(s.config, null));
    s.error = null;
    s.offline = reason ? OFFLINE[reason] || OFFLINE.off : null;
    s.messageLeft = false;
    showForm();
  }

  function requestFollowUp() {
    s.error = null;
    s.messageLeft = false;
    s.offline = OFFLINE.follow_up_request;
    showForm();
  }

  // ---- Messages ----
  function send(text) {
    var body = nonBlank(text);
    var chatId = openChatId();
    if (!body || !chatId) return;
    var stop = rt.typing.stop();
    if (stop != null) reportTyping(chatId, stop);
    s.pending.push({ clientId: clientId(), chatId: chatId, body: body });
    set({ error: null });
    flush();
  }

  function dropPending(id) {
    var before = s.pending.length;
    s.pending = s.pending.filter(function (m) {
      return m.clientId !== id;
    });
    return before !== s.pending.length;
  }

  // Sends pending messages one at a time, in order. Network errors and 5xx retry with the
  // same client id (the server answers a retry with the first result); 4xx drop the message
  // and show why.
  function flush() {
    if (rt.outbox) return;
    rt.outbox = true;
    var delay = FIRST_RETRY_MS;
    (function next() {
      var m = s.pending[0];
      if (!m || !token()) {
        if (!token()) set({ pending: [] });
        rt.outbox = false;
        return;
      }
      api("POST", "/visitor/chats/" + m.chatId + "/messages", { body: m.body, client_id: m.clientId })
        .then(
          function (event) {
            delay = FIRST_RETRY_MS;
            dropPending(m.clientId);
            apply(event);
            render();
          },
          function (e) {
            if (retryable(e)) {
              return retryAfter(delay).then(function () {
                delay = nextDelay(delay);
              });
            }
            delay = FIRST_RETRY_MS;
            if (e.code === "chat_closed") {
              // Ended meanwhile: nothing queued for it can go. Show it as the server has it.
              s.pending = s.pending.filter(function (p) {
                return p.chatId !== m.chatId;
              });
              restore();
              return;
            }
            dropPending(m.clientId);
            set({ error: e.message });
            if (e.status === 401) {
              forgetToken();
              showForm();
            }
          }
        )
        .catch(function () {
          // Whatever went wrong showing the answer, the outbox goes on (after a pause).
          return retryAfter(FIRST_RETRY_MS);
        })
        .then(next);
    })();
  }

  // Folds an event (from a POST answer or the stream) into the chat on screen, once.
  function apply(e) {
    var c = s.chat;
    if (!c || c.id !== e.chat_id) return;
    if (e.type === "message_posted" && e.client_id) dropPending(e.client_id);
    if (e.type === "call_requested" && !s.call) {
      rt.wantsCall = { chat: e.chat_id, operator: e.operator };
      s.call = { chatId: e.chat_id, operator: e.operator_name, state: "requested", muted: false };
    }
    if (e.type === "call_started") {
      s.call = { chatId: e.chat_id, operator: e.operator_name, state: "ringing", muted: false };
      var asked = rt.wantsCall;
      if (asked && asked.chat === e.chat_id && asked.operator === e.operator) {
        rt.wantsCall = null;
        acceptCall();
      }
    }
    if (e.type === "call_ended") closeCall();
    var wasOpen = c.open();
    c.apply(e);
    if (wasOpen && c.ended()) {
      closeCall();
      rt.wantsCall = null;
      // Nothing queued can go any more, and the server no longer hears the visitor type.
      s.pending = [];
      rt.typing = new TypingReport();
    }
    render();
    noteSeen();
  }

  function onSignal(sig) {
    if (sig.type === "call") {
      if (!sig.from_visitor && rt.voice) rt.voice.receive(sig.signal);
      return;
    }
    if (s.chat && s.chat.signal(sig, Date.now())) render();
    if (sig.type === "typing" && sig.active) {
      // A little after the signal lapses, so timer and clock rounding cannot keep it.
      setTimeout(function () {
        if (s.chat && s.chat.expireTyping(Date.now())) render();
      }, SIGNAL_TTL_MS + 100);
    }
  }

  function typed(text) {
    var chatId = openChatId();
    if (!chatId) return;
    var active = rt.typing.input(text, Date.now());
    if (active != null) reportTyping(chatId, active);
  }

  // Fire and forget: a failed "typing" expires by itself, and the next line reports seen again.
  function reportTyping(chatId, active) {
    if (token()) api("POST", "/visitor/chats/" + chatId + "/typing", { active: active }).catch(noop);
  }

  function panelShown() {
    var list = root.querySelector("[data-testid=sb-messages]");
    return !document.hidden && !!list && !list.closest("[hidden]");
  }

  // Tells the server what the visitor has now seen, if the panel is in front of them and an
  // operator's line arrived since the last report (V5).
  function noteSeen() {
    var c = s.chat;
    if (!c || !panelShown() || !token()) return;
    var reported = rt.seen && rt.seen.chat === c.id ? rt.seen.upTo : 0;
    var upTo = c.seenToReport(reported);
    if (upTo == null) return;
    rt.seen = { chat: c.id, upTo: upTo };
    api("POST", "/visitor/chats/" + c.id + "/seen", { up_to: upTo }).catch(noop);
  }

  function shownChatId() {
    return s.chat && s.chat.id;
  }

  function rate(stars, comment) {
    var chatId = shownChatId();
    if (!chatId || !token()) return;
    if (!stars) return set({ error: "Please choose 1 to 5 stars." });
    s.error = null;
    busy(function () {
      return api("POST", "/visitor/chats/" + chatId + "/rating", {
        stars: stars,
        comment: nonBlank(comment),
      }).then(apply);
    });
  }

  function downloadTranscript() {
    var chatId = shownChatId();
    if (!chatId || !token()) return;
    set({ error: null });
    api("GET", "/visitor/chats/" + chatId + "/transcript", undefined, true)
      .then(function (resp) {
        var d = resp.headers.get("content-disposition") || "";
        var name = (/filename="([^"]+)"/.exec(d) || [])[1] || "chat-transcript.txt";
        return resp.text().then(function (text) {
          var link = h("a", {
            href: "data:text/plain;charset=utf-8," + encodeURIComponent(text),
            download: name,
          });
          document.body.append(link);
          link.click();
          link.remove();
        });
      })
      .catch(function (e) {
        set({ error: (typeof e.status === "number" ? e : unreachable()).message });
      });
  }

  function emailTranscript(email) {
    var chatId = shownChatId();
    if (!chatId || !token()) return;
    email = nonBlank(email);
    if (!email || email.indexOf("@") < 0) return set({ error: "Please give your email address." });
    s.error = null;
    busy(function () {
      return api("POST", "/visitor/chats/" + chatId + "/transcript/email", { email: email }).then(
        function () {
          rt.email = email;
          set({ transcriptSent: email });
        }
      );
    });
  }

  function end() {
    var chatId = openChatId();
    if (!chatId) return;
    if (!token()) return showForm();
    busy(function () {
      return api("POST", "/visitor/chats/" + chatId + "/end").then(
        function () {
          markLeft(chatId);
        },
        function (e) {
          // Ended already (kicked, closed): show it as the server has it.
          if (e.code === "chat_closed") return restore();
          set({ error: e.message });
        }
      );
    });
  }

  function markLeft(chatId) {
    s.error = null;
    s.pending = [];
    rt.typing = new TypingReport();
    if (s.chat && s.chat.id === chatId) s.chat.markLeft();
    render();
    // Keep listening briefly so "You ended the chat" and the final status arrive, then stop.
    var gen = rt.streamGen;
    setTimeout(function () {
      if (rt.streamGen === gen) stopStream();
    }, 5000);
  }

  // ---- The stream ----
  function stopStream() {
    rt.streamGen++;
    if (rt.abort) rt.abort.abort();
    rt.abort = null;
  }
  function startStream() {
    stopStream();
    stream(rt.streamGen);
  }
  function wanted(gen) {
    return rt.streamGen === gen && !!s.chat && s.chat.listening();
  }
  function connected() {
    if (s.connection !== "reconnecting") return;
    set({ connection: "restored" });
    setTimeout(function () {
      if (s.connection === "restored") set({ connection: "connected" });
    }, RESTORED_MS);
  }
  // Keeps the chat's stream open while events may still come, reconnecting with backoff and
  // resuming after the last event received.
  function stream(gen) {
    var delay = FIRST_RETRY_MS;
    (function open() {
      if (!wanted(gen) || !token()) return done();
      var abort = new AbortController();
      rt.abort = abort;
      fetch(base + "/api/v1/visitor/events", {
        headers: {
          Authorization: "Bearer " + token(),
          Accept: "text/event-stream",
          "Last-Event-ID": String(rt.cursor.at),
        },
        signal: abort.signal,
      })
        .then(function (resp) {
          if (resp.ok) {
            delay = FIRST_RETRY_MS;
            connected();
            return read(gen, resp.body.getReader());
          }
          return resp
            .json()
            .catch(function () {
              return {};
            })
            .then(function (b) {
              var code = (b && b.error && b.error.code) || "";
              if (resp.status === 401) {
                if (wanted(gen)) {
                  forgetToken();
                  showForm();
                }
                return "stop";
              }
              // The server's log does not reach our position: load the chat afresh.
              if (code === "reload_required") {
                if (wanted(gen)) {
                  rt.cursor.at = 0;
                  restore();
                }
                return "stop";
              }
            });
        })
        .catch(noop)
        .then(function (stop) {
          if (stop === "stop" || !wanted(gen)) return done();
          set({ connection: "reconnecting" });
          retryAfter(delay).then(function () {
            delay = nextDelay(delay);
            open();
          });
        });
    })();
    function done() {
      if (rt.streamGen === gen && s.connection !== "connected") set({ connection: "connected" });
    }
  }
  function read(gen, reader) {
    var decoder = new TextDecoder();
    var parser = new SseParser();
    return (function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done || !wanted(gen)) {
          reader.cancel().catch(noop);
          return;
        }
        parser.push(decoder.decode(chunk.value, { stream: true })).forEach(function (frame) {
          var got = decodeFrame(frame, rt.cursor);
          if (got && got.event) apply(got.event);
          else if (got) onSignal(got.signal);
        });
        // The chat ended with these frames: release the connection now, not at the next
        // heartbeat.
        if (!wanted(gen)) {
          reader.cancel().catch(noop);
          return;
        }
        return pump();
      });
    })();
  }

  // ---- Voice (V7): voice.js loads only when the visitor takes a call ----
  function voiceModule() {
    if (window.SwitchboardVoice) return Promise.resolve(window.SwitchboardVoice);
    return new Promise(function (resolve, reject) {
      var script = h("script", { src: base + "/widget/voice.js" });
      script.onload = function () {
        resolve(window.SwitchboardVoice);
      };
      script.onerror = reject;
      document.head.append(script);
    });
  }
  function callState(state) {
    if (s.call) {
      s.call.state = state;
      render();
    }
  }
  function acceptCall() {
    var call = s.call;
    if (!call || !token()) return;
    callState("connecting");
    var path = "/visitor/chats/" + call.chatId + "/call/signal";
    voiceModule()
      .then(function (voice) {
        if (s.call !== call) return;
        rt.voice = voice.start({
          caller: false,
          iceServers: s.config.ice_servers || [],
          send: function (signal) {
            api("POST", path, signal).catch(noop);
          },
          onstate: callState,
        });
        rt.voice.accept();
      })
      .catch(function () {
        callState("failed");
      });
  }
  function closeCall() {
    if (rt.voice) rt.voice.close();
    rt.voice = null;
    s.call = null;
  }
  // Hangs up, or declines the ringing call.
  function endCall() {
    var call = s.call;
    if (!call || !token()) return;
    closeCall();
    render();
    api("POST", "/visitor/chats/" + call.chatId + "/call/end", {
      declined: call.state === "ringing",
    }).catch(noop);
  }
  function mute(on) {
    if (rt.voice) rt.voice.mute(on);
    if (s.call) s.call.muted = on;
    render();
  }

  // ---- Rendering ----
  var title = h("div", { class: "sb-title" });
  var endButton = h("button", {
    type: "button",
    class: "sb-end",
    "data-testid": "sb-end",
    text: "End chat",
    onclick: end,
  });
  var closeButton = h("button", {
    type: "button",
    class: "sb-close",
    "aria-label": "Minimise chat",
    title: "Minimise",
    onclick: function () {
      var loader = window.SwitchboardLoader;
      if (loader && loader.close) loader.close();
    },
  });
  closeButton.innerHTML = ICON_CLOSE;
  var endSlot = slot();
  var banner = h("div", {
    class: "sb-connection",
    "data-testid": "sb-connection",
    role: "status",
    "aria-live": "polite",
  });
  // The phase's parts; `display: contents`, so they sit in the panel's flex column.
  var body = h("div", { class: "sb-body" });
  var panel = h(
    "div",
    { class: "sb-panel", "data-testid": "sb-panel", role: "dialog" },
    h("header", { class: "sb-header" }, title, endSlot.anchor, closeButton),
    banner,
    body
  );
  var bodyKey = null;
  var view = null; // the phase's view: { nodes, update() }
  var shownBanner = null;

  function errorLine() {
    var at = slot();
    var p = h("p", { class: "sb-error", "data-testid": "sb-error", role: "alert" });
    return {
      node: at.anchor,
      update: function () {
        p.textContent = s.error || "";
        at.show(s.error ? p : null);
      },
    };
  }

  function render() {
    var config = s.config;
    var name = config ? config.title : "Chat";
    title.textContent = name;
    panel.setAttribute("aria-label", name);
    // CSSOM, not a style attribute, which a host page's strict CSP would refuse.
    if (config) panel.style.setProperty("--sb-accent", config.color);
    endSlot.show(chatOpen() ? endButton : null);
    endButton.disabled = s.busy;
    if (shownBanner !== s.connection) {
      shownBanner = s.connection;
      banner.textContent = "";
      if (s.connection === "reconnecting")
        banner.append(
          h("p", {
            class: "sb-banner sb-reconnecting",
            "data-testid": "sb-reconnecting",
            text: "Connection lost. Reconnecting…",
          })
        );
      if (s.connection === "restored")
        banner.append(
          h("p", {
            class: "sb-banner sb-restored",
            "data-testid": "sb-restored",
            text: "Connected again.",
          })
        );
    }
    var key =
      s.phase === "form" && s.offline
        ? "offline:" + s.offline + ":" + s.messageLeft
        : s.phase === "chat"
          ? "chat:" + s.chat.id
          : s.phase === "invited"
            ? "invited:" + (s.invitation && s.invitation.id)
            : s.phase;
    if (key !== bodyKey) {
      bodyKey = key;
      view =
        s.phase === "loading"
          ? { nodes: [h("div", { class: "sb-loading", text: "Loading…" })], update: noop }
          : s.phase === "form" && s.offline
            ? offlineForm()
            : s.phase === "form"
              ? startForm()
              : s.phase === "invited"
                ? invitationForm()
                : conversation();
      body.replaceChildren.apply(body, view.nodes);
    }
    view.update();
  }

  function submitButton(testid, label) {
    return h("button", { type: "submit", class: "sb-button sb-start", "data-testid": testid, text: label });
  }

  function form(testid, onsubmit, children, button) {
    var err = errorLine();
    var f = h("form", { class: "sb-form", novalidate: true, "data-testid": testid });
    f.addEventListener("submit", function (ev) {
      ev.preventDefault();
      onsubmit();
    });
    f.append.apply(f, children.concat([err.node, button]));
    return {
      nodes: [f],
      update: function () {
        err.update();
        button.disabled = s.busy;
      },
    };
  }

  function emailField(value) {
    var input = h("input", {
      class: "sb-text",
      "data-testid": "sb-email",
      type: "email",
      name: "email",
      autocomplete: "email",
      maxlength: "200",
      value: value,
    });
    return { input: input, node: field("Email", input, true) };
  }

  // "Leave a message" (V11): instead of the start form while live chat is not offered.
  function offlineForm() {
    if (s.messageLeft) {
      return {
        nodes: [
          h("p", {
            class: "sb-greeting sb-offline-sent",
            "data-testid": "sb-offline-sent",
            role: "status",
            text: "Thank you! Your message has been sent. We will answer you by email.",
          }),
        ],
        update: noop,
      };
    }
    var name = textInput("sb-offline-name", { autocomplete: "name", maxlength: "80", value: knownName() });
    var email = h("input", {
      class: "sb-text",
      "data-testid": "sb-offline-email",
      type: "email",
      autocomplete: "email",
      "aria-required": "true",
    });
    var message = h("textarea", {
      class: "sb-text sb-first-message",
      "data-testid": "sb-offline-message",
      rows: "4",
    });
    return form(
      "sb-offline-form",
      function () {
        leaveMessage(name.value, email.value, message.value);
      },
      [
        h("p", {
          class: "sb-greeting",
          "data-testid": "sb-offline-reason",
          text: s.offline + " Leave a message and we will answer by email.",
        }),
        field("Your name", name, true),
        field("Email", email),
        field("Message", message),
      ],
      submitButton("sb-offline-send", "Leave a message")
    );
  }

  function startForm() {
    var config = s.config;
    var picked = null;
    var select = null;
    var children = [h("p", { class: "sb-greeting", text: config.greeting })];
    // Several channels and no binding: the visitor picks one.
    if ((config.channels || []).length > 1) {
      select = h(
        "select",
        {
          class: "sb-text",
          "data-testid": "sb-channel",
          name: "channel",
          "aria-required": "true",
          onchange: function () {
            picked = select.value || null;
            update();
          },
        },
        h("option", { value: "", text: "Choose…" })
      );
      config.channels.forEach(function (c) {
        select.append(h("option", { value: c.id, text: c.name }));
      });
      children.push(field("Department", select));
    }
    var optional = slot();
    var optionalText = h("span", { class: "sb-optional", text: " (optional)" });
    var name = textInput("sb-name", { name: "name", autocomplete: "name", maxlength: "80", value: knownName() });
    var email = emailField(knownEmail());
    var message = h("textarea", {
      class: "sb-text sb-first-message",
      "data-testid": "sb-first-message",
      name: "message",
      rows: "4",
      placeholder: "How can we help?",
    });
    var nameLabel = h("span", { class: "sb-label", text: "Your name" }, optional.anchor);
    children.push(
      h("label", { class: "sb-field" }, nameLabel, name),
      email.node,
      field("Message", message)
    );
    var f = form(
      "sb-start-form",
      function () {
        start(name.value, email.input.value, message.value, picked);
      },
      children,
      submitButton("sb-start", "Start Chat")
    );
    function update() {
      var required = nameRequired(config, chosenChannel(config, picked));
      optional.show(required ? null : optionalText);
      name.setAttribute("aria-required", String(!!required));
      f.update();
    }
    return { nodes: f.nodes, update: update };
  }

  // "Open chat with operator": the chat goes straight to the operator who invited.
  function invitationForm() {
    var i = s.invitation;
    var name = textInput("sb-name", { name: "name", autocomplete: "name", maxlength: "80", value: knownName() });
    var email = emailField(knownEmail());
    // The type of communication (V7): text, or a voice call from the operator.
    function kind(value, label, checked) {
      var input = h("input", { type: "radio", name: "sb-kind", value: value, "data-testid": "sb-kind-" + value, checked: checked });
      return { input: input, node: h("label", { class: "sb-choice" }, input, h("span", { text: label })) };
    }
    var text = kind("text", "Text chat", true);
    var voice = kind("voice", "Voice chat");
    var kinds = h(
      "fieldset",
      { class: "sb-kinds", role: "radiogroup" },
      h("legend", { class: "sb-label", text: "Type of communication" }),
      text.node,
      voice.node
    );
    return form(
      "sb-invitation-form",
      function () {
        acceptInvitation(name.value, email.input.value, voice.input.checked);
      },
      [
        h("h2", { class: "sb-heading", text: "Open chat with operator" }),
        i
          ? h(
              "blockquote",
              { class: "sb-invitation" },
              h("strong", { text: i.operator }),
              h("p", { text: i.message })
            )
          : null,
        field("Chat name", name, true),
        email.node,
        kinds,
      ].filter(Boolean),
      submitButton("sb-open-chat", "Start chat")
    );
  }

  function lineNode(line) {
    if (line.text != null) return h("div", { class: "sb-system", "data-testid": "sb-system", text: line.text });
    var operator = line.author === "operator";
    return h(
      "div",
      {
        class: "sb-message " + (operator ? "sb-operator" : "sb-visitor"),
        "data-testid": "sb-message",
        "data-author": line.author,
      },
      operator ? h("div", { class: "sb-author", text: line.name }) : null,
      h("div", { class: "sb-bubble", text: line.body })
    );
  }

  function conversation() {
    var waiting = h("div", {
      class: "sb-waiting",
      "data-testid": "sb-waiting",
      role: "status",
      text: "Waiting for an operator…",
    });
    var queueSlot = slot();
    waiting.append(queueSlot.anchor);
    var queue = h("span", { class: "sb-queue", "data-testid": "sb-queue" });
    var hold = h("div", { class: "sb-hold", "data-testid": "sb-hold", role: "status" });
    var list = h("div", {
      class: "sb-messages",
      "data-testid": "sb-messages",
      role: "log",
      "aria-label": "Conversation",
    });
    var receipt = h("div", { class: "sb-receipt", "data-testid": "sb-receipt" });
    var typing = h("div", { class: "sb-typing", "data-testid": "sb-typing", "aria-live": "off" });
    var endedNote = h("div", { class: "sb-ended", "data-testid": "sb-ended", text: "The chat has ended." });
    var waitingSlot = slot();
    var holdSlot = slot();
    var callSlot = slot();
    var afterSlot = slot();
    var barSlot = slot();
    var err = errorLine();
    var nodes = new Map();
    var shownCall;
    var after = null;
    var barEnded = null;

    function update() {
      var c = s.chat;
      var place = c.queuePlace();
      waitingSlot.show(c.waiting() ? waiting : null);
      if (place) queue.textContent = queueText(place);
      queueSlot.show(place ? queue : null);
      var banner = c.holdBanner();
      hold.textContent = banner || "";
      holdSlot.show(banner ? hold : null);
      updateCall();
      // Lines keep their nodes (the log announces only what is new), then the receipt, the
      // messages on their way, who types and the end note.
      var want = c.lines.map(function (l) {
        var n = nodes.get(l.id);
        if (!n) nodes.set(l.id, (n = lineNode(l)));
        return n;
      });
      var r = c.receipt();
      receipt.textContent = r ? "Seen" : "Delivered";
      if (r != null) want.push(receipt);
      s.pending.forEach(function (m) {
        if (m.chatId !== c.id) return;
        var key = "p:" + m.clientId;
        var n = nodes.get(key);
        if (!n) {
          n = h(
            "div",
            {
              class: "sb-message sb-visitor sb-pending",
              "data-testid": "sb-message",
              "data-author": "visitor",
              "data-pending": "true",
            },
            h("div", { class: "sb-bubble", text: m.body }),
            h("div", { class: "sb-status", text: "sending…" })
          );
          nodes.set(key, n);
        }
        want.push(n);
      });
      var t = c.typingText();
      typing.textContent = t || "";
      if (t) want.push(typing);
      if (c.endedWithoutLine()) want.push(endedNote);
      var changed = false;
      want.forEach(function (n, i) {
        if (list.children[i] !== n) {
          list.insertBefore(n, list.children[i] || null);
          changed = true;
        }
      });
      while (list.children.length > want.length) {
        list.lastChild.remove();
        changed = true;
      }
      if (changed)
        requestAnimationFrame(function () {
          list.scrollTop = list.scrollHeight;
        });
      var ended = c.ended();
      if (ended && !after) {
        after = afterChat();
        afterSlot.show(after.node);
      }
      if (after) after.update();
      err.update();
      if (barEnded !== ended) {
        barEnded = ended;
        barSlot.show(ended ? newChatBar() : entryBar());
      }
    }

    // An operator's voice call (V7): ringing with Accept and Decline, then its state, Mute
    // and Hang up.
    function updateCall() {
      var c = s.call;
      var key = c ? c.state + ":" + c.muted : null;
      if (key === shownCall) return;
      shownCall = key;
      if (!c) return callSlot.show(null);
      var words = {
        requested: c.operator + " will call you in a moment…",
        ringing: c.operator + " is calling you",
        connecting: "Connecting the call…",
        connected: "On a call with " + c.operator,
        "muted-by-peer": c.operator + " muted their microphone",
        failed: "The call could not connect.",
      };
      var strip = h(
        "div",
        { class: "sb-call", "data-testid": "sb-call", role: "status" },
        h("span", {
          "data-testid": "sb-call-state",
          "data-state": c.state,
          text: words[c.state] || "The call ended.",
        })
      );
      if (c.state === "requested") {
        // Nothing to press until the call comes.
      } else if (c.state === "ringing") {
        strip.append(
          h("button", { type: "button", class: "sb-button", "data-testid": "sb-call-accept", text: "Accept", onclick: acceptCall }),
          h("button", { type: "button", class: "sb-link", "data-testid": "sb-call-decline", text: "Decline", onclick: endCall })
        );
      } else {
        strip.append(
          h("button", {
            type: "button",
            class: "sb-link",
            "data-testid": "sb-call-mute",
            "aria-pressed": String(c.muted),
            text: c.muted ? "Unmute" : "Mute",
            onclick: function () {
              mute(!c.muted);
            },
          }),
          h("button", { type: "button", class: "sb-button", "data-testid": "sb-call-hangup", text: "Hang up", onclick: endCall })
        );
      }
      callSlot.show(strip);
    }

    return {
      nodes: [
        waitingSlot.anchor,
        holdSlot.anchor,
        callSlot.anchor,
        list,
        afterSlot.anchor,
        err.node,
        barSlot.anchor,
      ],
      update: update,
    };
  }

  // Once the chat is over (V10, V12): rate it, download its transcript, or have it mailed.
  function afterChat() {
    var stars = 0;
    var starBox = h("div", { class: "sb-stars", role: "radiogroup", "aria-label": "How was this chat?" });
    [5, 4, 3, 2, 1].forEach(function (n) {
      starBox.append(
        h("input", {
          type: "radio",
          name: "sb-stars",
          "data-testid": "sb-star-" + n,
          "aria-label": n + " of 5",
          onchange: function () {
            stars = n;
          },
        })
      );
    });
    var comment = h("input", {
      class: "sb-text",
      "data-testid": "sb-rate-comment",
      maxlength: "1000",
      placeholder: "Anything to add? (optional)",
      "aria-label": "Comment",
    });
    var rateForm = h(
      "form",
      { class: "sb-rate", "data-testid": "sb-rate" },
      starBox,
      comment,
      h("button", { type: "submit", class: "sb-button", "data-testid": "sb-rate-send", text: "Send rating" })
    );
    rateForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      rate(stars, comment.value);
    });
    var thanks = h("p", { class: "sb-thanks", "data-testid": "sb-thanks", role: "status" });
    var email = h("input", {
      class: "sb-text",
      type: "email",
      "data-testid": "sb-email",
      autocomplete: "email",
      placeholder: "Email me the transcript",
      "aria-label": "Email me the transcript",
      value: knownEmail(),
    });
    var mail = h(
      "form",
      { class: "sb-mail", "data-testid": "sb-email-form" },
      email,
      h("button", { type: "submit", class: "sb-button", "data-testid": "sb-email-send", text: "Send" })
    );
    mail.addEventListener("submit", function (ev) {
      ev.preventDefault();
      emailTranscript(email.value);
    });
    var node = h(
      "div",
      { class: "sb-after", "data-testid": "sb-after" },
      rateForm,
      thanks,
      mail,
      h("button", { type: "button", class: "sb-link", "data-testid": "sb-download", text: "Download transcript", onclick: downloadTranscript }),
      h("button", { type: "button", class: "sb-link", "data-testid": "sb-follow-up", text: "Leave a follow-up request", onclick: requestFollowUp })
    );
    return {
      node: node,
      update: function () {
        var c = s.chat;
        rateForm.hidden = !c.canRate();
        var note = [];
        if (c.rated != null) note.push("Thank you for rating this chat " + c.rated + " of 5.");
        if (s.transcriptSent) note.push("The transcript is on its way to " + s.transcriptSent + ".");
        thanks.textContent = note.join(" ");
      },
    };
  }

  function entryBar() {
    var input = h("textarea", {
      class: "sb-input",
      "data-testid": "sb-input",
      rows: "1",
      placeholder: "Type a message…",
      "aria-label": "Message",
      oninput: function () {
        typed(input.value);
      },
      onkeydown: function (ev) {
        if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
          ev.preventDefault();
          go();
        }
      },
    });
    function go() {
      var text = input.value;
      if (text.trim()) {
        input.value = "";
        send(text);
      }
    }
    var button = h("button", { type: "button", class: "sb-send", "aria-label": "Send", title: "Send", onclick: go });
    button.innerHTML = ICON_SEND;
    return h("div", { class: "sb-entry" }, input, button);
  }

  function newChatBar() {
    return h(
      "div",
      { class: "sb-entry sb-entry-ended" },
      h("button", { type: "button", class: "sb-button sb-new-chat", "data-testid": "sb-new-chat", text: "Start a new chat", onclick: newChat })
    );
  }

  root.append(panel);
  // Start Chat on a later invitation: the loader sets `options.invitation` and says so by an
  // event on the root.
  root.addEventListener("switchboard:invitation", function () {
    var i = readInvitation();
    if (i) invited(i);
  });
  render();
  init();
  // Reports what the visitor sees as the panel opens or the page comes back (V5): a look
  // every two seconds, which sends nothing unless an operator's line is newly in view.
  setInterval(noteSeen, 2000);
}

function noop() {}
