// The bubble panel's rules, run by `node --test` (part of `cargo xtask test`): the conversation
// fold, stream frames, typing reports and the start form's channel rules. Events carry `text`
// as the visitor API sends it.
import test from "node:test";
import assert from "node:assert/strict";

import {
  Conversation,
  SseParser,
  TypingReport,
  accent,
  applyOptions,
  chosenChannel,
  decodeFrame,
  nameRequired,
  offlineReason,
  queueText,
} from "./panel.js";

const CHAT = "0000000000000000000000000000000a";
const ANN = "000000000000000000000000000000a1";
const BOB = "000000000000000000000000000000b2";

const event = (id, type, fields) => Object.assign({ id, chat_id: CHAT, at: id * 1000, type }, fields);
const visitorSays = (id, body) =>
  event(id, "message_posted", { author: { kind: "visitor" }, author_name: "Vera", body });
const annSays = (id, body) =>
  event(id, "message_posted", { author: { kind: "operator", id: ANN }, author_name: "Ann", body });
const status = (id, s, text) => event(id, "status_changed", { status: s, text });
const typing = (operator, name, active, extra) =>
  Object.assign({ type: "typing", chat_id: CHAT, author: { kind: "operator", id: operator }, name, active }, extra);

function activeChat() {
  return new Conversation({
    id: CHAT,
    status: "active",
    open: true,
    on_hold: false,
    events: [
      visitorSays(2, "Hello"),
      event(3, "operator_accepted", { operator: ANN, operator_name: "Ann", text: "Ann joined the chat" }),
      status(4, "active"),
    ],
  });
}

const systemLines = (c) => c.lines.filter((l) => l.text != null).map((l) => l.text);

test("messages and joins become lines in event order, once", () => {
  const c = activeChat();
  assert.ok(c.apply(annSays(7, "How can I help?")));
  assert.ok(c.apply(visitorSays(6, "Thanks")));
  assert.ok(!c.apply(visitorSays(6, "Thanks")), "a replay is ignored");
  assert.ok(!c.apply(Object.assign(annSays(8, "elsewhere"), { chat_id: "other" })));
  assert.deepEqual(
    c.lines.map((l) => l.id),
    [2, 3, 6, 7]
  );
  assert.deepEqual(systemLines(c), ["Ann joined the chat"]);
  assert.equal(c.lines[3].name, "Ann");
  assert.ok(c.open() && c.listening());
});

test("a kicked visitor reads the kick line, then the chat ends and later events are ignored", () => {
  const c = activeChat();
  assert.ok(c.apply(event(5, "visitor_kicked", { operator: ANN, operator_name: "Ann", text: "The operator has ended the chat" })));
  assert.equal(systemLines(c).at(-1), "The operator has ended the chat");
  assert.ok(c.ended() && !c.open() && !c.listening());
  assert.ok(!c.endedWithoutLine(), "the kick line says how it ended");
  assert.equal(c.canRate(), false, "a removed visitor has nothing to rate");
  const lines = c.lines.length;
  assert.ok(!c.apply(annSays(9, "Anything after the kick")));
  assert.ok(!c.signal(typing(ANN, "Ann", true), 1));
  assert.equal(c.lines.length, lines);
});

test("closing, or a status without the visitor, ends the chat", () => {
  const closed = activeChat();
  closed.apply(event(5, "chat_closed", { operator: ANN, operator_name: "Ann", text: "Ann closed the chat" }));
  assert.ok(closed.ended());
  assert.equal(systemLines(closed).at(-1), "Ann closed the chat");
  assert.ok(closed.canRate(), "an answered chat can be rated once over");

  for (const end of ["vacant", "closed"]) {
    const c = activeChat();
    c.apply(status(5, end));
    assert.ok(c.ended(), end);
    assert.ok(c.endedWithoutLine(), "the panel says it ended");
    assert.ok(!c.apply(annSays(7, "late")));
  }
});

test("the visitor's own end holds at once and its line shows when it arrives", () => {
  const c = activeChat();
  c.markLeft();
  assert.ok(c.ended());
  assert.ok(c.apply(event(5, "visitor_left", { text: "You ended the chat" })));
  assert.equal(systemLines(c).at(-1), "You ended the chat");
  assert.ok(!c.listening() && !c.endedWithoutLine());
});

test("the hold banner shows while on hold and the visitor may still write", () => {
  const c = activeChat();
  assert.equal(c.holdBanner(), null);
  c.apply(event(5, "hold_changed", { on_hold: true, operator_name: "Ann", text: "Ann will be right back with you" }));
  assert.equal(c.holdBanner(), "Ann will be right back with you");
  assert.ok(c.open());
  assert.deepEqual(systemLines(c), ["Ann joined the chat"], "holding adds no line");
  c.apply(event(6, "hold_changed", { on_hold: false, operator_name: "Ann", text: "Ann is back" }));
  assert.equal(c.holdBanner(), null);
  assert.equal(systemLines(c).at(-1), "Ann is back");
  c.apply(event(7, "hold_changed", { on_hold: true, operator_name: "Ann", text: "Ann will be right back with you" }));
  c.apply(status(8, "waiting", "Waiting for an operator"));
  assert.equal(c.holdBanner(), null, "leaving active status ends the hold");
  assert.ok(c.waiting());

  const restored = new Conversation({ id: CHAT, status: "active", open: true, on_hold: true, events: [] });
  assert.ok(restored.holdBanner(), "a chat loaded on hold shows the banner");
});

test("typing shows until it expires, stops or the operator writes", () => {
  const c = activeChat();
  assert.ok(c.signal(typing(ANN, "Ann", true), 1000));
  assert.equal(c.typingText(), "Ann is typing…");
  assert.ok(!c.expireTyping(1000 + 6000 - 1));
  assert.ok(c.expireTyping(1000 + 6000));
  assert.equal(c.typingText(), null);

  c.signal(typing(ANN, "Ann", true), 10000);
  c.signal(typing(BOB, "Bob", true), 10000);
  assert.equal(c.typingText(), "Ann and Bob are typing…");
  c.signal(typing(BOB, "Bob", false), 10001);
  assert.equal(c.typingText(), "Ann is typing…");
  c.apply(annSays(9, "Here"));
  assert.equal(c.typingText(), null, "the message replaces the indicator");

  assert.ok(!c.signal(typing(ANN, "Ann", true, { note: true }), 21000), "private notes stay private");
  assert.ok(!c.signal(Object.assign(typing(ANN, "Ann", true), { author: { kind: "visitor" } }), 21000));
  assert.ok(!c.signal(Object.assign(typing(ANN, "Ann", true), { chat_id: "other" }), 21000));
});

test("queue places, seen marks and the receipt follow the signals", () => {
  const c = new Conversation({ id: CHAT, status: "waiting", open: true, queue_position: 3, estimated_wait_seconds: 61, events: [visitorSays(2, "Hi")] });
  assert.equal(queueText(c.queuePlace()), "You are number 3 in the queue. Estimated wait: about 2 minutes.");
  assert.ok(c.signal({ type: "queue", chat_id: CHAT, position: 1, estimated_wait_seconds: null }, 0));
  assert.equal(queueText(c.queuePlace()), "You are number 1 in the queue.");
  assert.ok(!c.signal({ type: "queue", chat_id: CHAT, position: 1, estimated_wait_seconds: null }, 0));

  assert.equal(c.receipt(), false, "delivered, not seen");
  assert.ok(!c.signal({ type: "seen", chat_id: CHAT, by_visitor: true, up_to: 2 }, 0));
  assert.ok(c.signal({ type: "seen", chat_id: CHAT, by_visitor: false, up_to: 2 }, 0));
  assert.equal(c.receipt(), true);

  assert.equal(c.seenToReport(0), null, "only the visitor's own lines: nothing new to them");
  c.apply(event(3, "operator_accepted", { operator: ANN, operator_name: "Ann", text: "Ann joined the chat" }));
  c.apply(annSays(4, "Hello"));
  assert.equal(c.seenToReport(0), 4);
  assert.equal(c.seenToReport(4), null);
});

test("ratings show as thanks, not as lines", () => {
  const c = activeChat();
  c.apply(event(5, "chat_closed", { operator: ANN, operator_name: "Ann", text: "Ann closed the chat" }));
  const lines = c.lines.length;
  assert.ok(c.apply(event(6, "chat_rated", { stars: 4, comment: "", text: "You rated the chat ★★★★☆ (4/5)" })));
  assert.equal(c.rated, 4);
  assert.equal(c.lines.length, lines);
  assert.ok(!c.canRate());
});

test("stream frames: events move the cursor once, signals never do", () => {
  const parser = new SseParser();
  const frames = parser.push(": heartbeat\n\nid: 5\nevent: message_posted\ndata: {\"id\":5}\n\nevent: typ");
  assert.deepEqual(frames, [{ id: "5", event: "message_posted", data: '{"id":5}' }]);
  const rest = parser.push("ing\r\ndata: {\"type\":\"typing\"}\r");
  assert.deepEqual(rest, []);
  assert.deepEqual(parser.push("\n\r\n"), [{ id: null, event: "typing", data: '{"type":"typing"}' }]);
  assert.deepEqual(new SseParser().push("data: a\ndata: b\n\n")[0].data, "a\nb");

  const cursor = { at: 4 };
  assert.deepEqual(decodeFrame({ id: null, data: '{"type":"typing"}' }, cursor), { signal: { type: "typing" } });
  assert.equal(cursor.at, 4);
  assert.deepEqual(decodeFrame({ id: "5", data: '{"id":5}' }, cursor), { event: { id: 5 } });
  assert.equal(cursor.at, 5);
  assert.equal(decodeFrame({ id: "5", data: '{"id":5}' }, cursor), null, "a replay is dropped");
  assert.equal(decodeFrame({ id: "6", data: "not json" }, cursor), null);
  assert.equal(cursor.at, 5);
});

test("typing reports: the first keystroke, then at most every three seconds, then one stop", () => {
  const r = new TypingReport();
  assert.equal(r.input("h", 0), true);
  assert.equal(r.input("he", 2999), null);
  assert.equal(r.input("hel", 3000), true);
  assert.equal(r.input("  ", 3100), false);
  assert.equal(r.input("", 3200), null);
  assert.equal(r.stop(), null);
  r.input("x", 4000);
  assert.equal(r.stop(), false);
});

test("the start form follows the chosen channel and the snippet's overrides", () => {
  const server = {
    title: "Chat with us",
    greeting: "Hi",
    color: "#2563EB",
    name_required: false,
    channels: [
      { id: "c1", name: "Sales", name_required: true },
      { id: "c2", name: "Support", name_required: false, offline: "outside_hours" },
    ],
  };
  assert.equal(accent(" #A1b2C3 "), "#a1b2c3");
  for (const bad of ["", "#fff", "a1b2c3", "#a1b2c3d", "red", "url(x)"]) assert.equal(accent(bad), null, bad);

  const unbound = applyOptions({}, server);
  assert.equal(unbound.color, "#2563eb");
  assert.equal(chosenChannel(unbound, null), null);
  assert.equal(chosenChannel(unbound, "c2"), "c2");
  assert.equal(chosenChannel(unbound, "gone"), null);
  assert.ok(nameRequired(unbound, "c1"));
  assert.ok(!nameRequired(unbound, "c2"));
  assert.equal(offlineReason(unbound, "c2"), "outside_hours");
  assert.equal(offlineReason(unbound, null), null);

  const bound = applyOptions({ channel: "c1", title: "Help", color: "#112233" }, server);
  assert.deepEqual(
    bound.channels.map((c) => c.id),
    ["c1"]
  );
  assert.equal(chosenChannel(bound, "c2"), "c1");
  assert.equal(bound.title, "Help");
  assert.equal(bound.color, "#112233");
  assert.equal(applyOptions({ channel: "archived" }, server).channels.length, 2, "a stale binding lets the visitor pick");
  const id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
  const uuids = Object.assign({}, server, { channels: [{ id, name: "Sales", name_required: true }, server.channels[1]] });
  assert.deepEqual(
    applyOptions({ channel: "{0F1E2D3C4B5A69788796A5B4C3D2E1F0}" }, uuids).channels.map((c) => c.id),
    [id],
    "a binding matches its channel however the UUID is written"
  );
  assert.equal(applyOptions({}, Object.assign({}, server, { color: "url(x)" })).color, "#2563eb");
});
