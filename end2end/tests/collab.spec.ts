import { Browser, Page } from "@playwright/test";
import { browse, Browsing, expect, firstLogIn, startServer, test, Server } from "./server";

// Operators working together on one visitor's chat: invitations (as observer, then
// participant), transfers, watching, kicking, and chats between operators. Three browsers: the
// visitor on the demo site, operator A (the first admin) and operator B. Each scenario runs on a
// server of its own, so none depends on another.

type Actor = Browsing;

interface Cast {
  server: Server;
  visitor: Actor;
  a: Actor;
  b: Actor;
  /** A's and B's chat names, as the console shows them. */
  aName: string;
  bName: string;
}

function actor(browser: Browser, server: Server): Promise<Actor> {
  return browse(browser, server.baseURL);
}

const logIn = firstLogIn;

/** A server, A and B logged in and online, and a visitor on the demo site. */
async function setUp(browser: Browser): Promise<Cast> {
  const server = await startServer();
  const operatorEmail = "bob@switchboard.local";
  server.addOperator(operatorEmail, "Bob");
  const [a, b, visitor] = [await actor(browser, server), await actor(browser, server), await actor(browser, server)];
  const aName = await logIn(a.page, server.adminEmail);
  const bName = await logIn(b.page, operatorEmail);
  // Each sees the other online.
  await expect(a.page.getByTestId("online-operator").filter({ hasText: bName })).toBeVisible();
  await expect(b.page.getByTestId("online-operator").filter({ hasText: aName })).toBeVisible();
  await visitor.page.goto("/demo");
  return { server, visitor, a, b, aName, bName };
}

async function tearDown(cast: Cast) {
  await Promise.all([cast.visitor.context.close(), cast.a.context.close(), cast.b.context.close()]);
  await cast.server.stop();
}

/** The visitor starts a chat; A accepts it and greets them. */
async function aAccepts({ a, visitor }: Cast) {
  await visitor.page.getByTestId("sb-launcher").click();
  await visitor.page.getByTestId("sb-name").fill("Vera");
  await visitor.page.getByTestId("sb-first-message").fill("Hello, I need help with my order");
  await visitor.page.getByTestId("sb-start").click();
  await expect(visitor.page.getByTestId("sb-waiting")).toBeVisible();
  await expect(a.page.getByTestId("alert-popup").filter({ hasText: "Vera" })).toBeVisible();
  await a.page.getByTestId("waiting-list").getByTestId("chat-row").getByTestId("accept").click();
  await expect(a.page).toHaveURL(/\/chats$/);
  await expect(a.page.getByTestId("my-role")).toHaveText("participant");
  await expect(a.page.getByTestId("alert-popup")).toHaveCount(0);
  await say(a.page, "Hi Vera, how can I help?");
  await expect(visitor.page.getByTestId("sb-messages")).toContainText("Hi Vera, how can I help?");
}

async function say(page: Page, text: string) {
  await page.getByTestId("entry").fill(text);
  await page.getByTestId("entry").press("Enter");
  await expect(page.getByTestId("messages").getByTestId("message").filter({ hasText: text })).toHaveCount(1);
}

/** A offers the chat to B from the sidebar's picker. */
async function aOffers({ a, bName }: Cast, control: "invite" | "transfer") {
  await a.page.getByTestId(control).click();
  const picker = a.page.getByTestId("operator-picker");
  await picker.getByTestId("picker-operator").filter({ hasText: bName }).click();
  await expect(picker).toHaveCount(0);
  await expect(a.page.getByTestId("pending-offer")).toContainText(bName);
}

function expectNoErrors(cast: Cast) {
  expect(cast.a.errors, "console errors in A's console").toEqual([]);
  expect(cast.b.errors, "console errors in B's console").toEqual([]);
  expect(cast.visitor.errors, "console errors on the visitor's page").toEqual([]);
}

test("an invited operator observes unseen by the visitor, then takes part", async ({ browser }) => {
  const cast = await setUp(browser);
  const { a, b, visitor, aName, bName } = cast;
  try {
    await aAccepts(cast);
    await aOffers(cast, "invite");
    // In A's list of people: A green, B pink while invited and not there yet.
    await expect(
      a.page.getByTestId("member").filter({ hasText: aName }).getByTestId("member-dot"),
    ).toHaveAttribute("data-dot", "live");
    const bInvited = a.page.getByTestId("member-inactive").filter({ hasText: bName });
    await expect(bInvited).toContainText("invited");
    await expect(bInvited.getByTestId("member-dot")).toHaveAttribute("data-dot", "inactive");

    // B is invited: a pop-up and the Invite list; B accepts as an observer.
    await expect(b.page.getByTestId("alert-popup")).toHaveAttribute("data-kind", "invite");
    const invited = b.page.getByTestId("invite-list").getByTestId("chat-row");
    await expect(invited.getByTestId("offered-by")).toHaveText(`invited by ${aName}`);
    await invited.getByTestId("accept-observer").click();
    await expect(b.page).toHaveURL(/\/chats$/);
    await expect(b.page.getByTestId("my-role")).toHaveText("observer");
    await expect(b.page.getByTestId("note-toggle")).toHaveCount(0);
    await expect(b.page.getByTestId("messages")).toContainText("Hi Vera, how can I help?");
    await expect(b.page.getByTestId("alert-popup")).toHaveCount(0);

    // A sees B observing (and viewing); the offer is answered.
    const bInA = a.page.getByTestId("member").filter({ hasText: bName });
    await expect(bInA).toContainText("observing");
    await expect(bInA.getByTestId("member-dot")).toHaveAttribute("data-dot", "live");
    await expect(a.page.getByTestId("member-inactive")).toHaveCount(0);
    await expect(a.page.getByTestId("messages")).toContainText(`${bName} is observing the chat`);
    await expect(a.page.getByTestId("pending-offer")).toHaveCount(0);
    await expect(a.page.getByTestId("viewers")).toContainText(bName);

    // The observer's note reaches A only.
    await say(b.page, "Ask for the order number");
    const note = a.page.getByTestId("message").filter({ hasText: "Ask for the order number" });
    await expect(note).toHaveAttribute("data-note", "true");
    await expect(note).toContainText("Note");
    await say(a.page, "What is your order number?");
    const visitorMessages = visitor.page.getByTestId("sb-messages");
    await expect(visitorMessages).toContainText("What is your order number?");
    await expect(visitorMessages).not.toContainText(bName);
    await expect(visitorMessages).not.toContainText("Ask for the order number");

    // B takes part: now the visitor is told.
    await b.page.getByTestId("become-participant").click();
    await expect(b.page.getByTestId("my-role")).toHaveText("participant");
    await expect(visitor.page.getByTestId("sb-system").filter({ hasText: `${bName} joined the chat` })).toHaveCount(1);
    await expect(b.page.getByTestId("note-toggle")).toBeVisible();
    await say(b.page, "I can help with that too");
    await expect(visitorMessages).toContainText("I can help with that too");

    // The visitor typing shows in the console; moving to another page shows in the sidebar.
    await visitor.page.getByTestId("sb-input").fill("It is 12");
    await expect(a.page.getByTestId("typing-indicator")).toContainText("Vera");
    await visitor.page.goto("/demo/pricing");
    await expect(a.page.getByTestId("tree-node").and(a.page.locator('[data-field="page"]'))).toContainText(
      "/demo/pricing",
    );
    expectNoErrors(cast);
  } finally {
    await tearDown(cast);
  }
});

test("a transfer moves the chat to the operator who assumes it", async ({ browser }) => {
  const cast = await setUp(browser);
  const { a, b, visitor, aName, bName } = cast;
  try {
    await aAccepts(cast);
    await aOffers(cast, "transfer");

    const offered = b.page.getByTestId("transfer-list").getByTestId("chat-row");
    await expect(offered).toContainText("Vera");
    await expect(b.page.getByTestId("alert-popup")).toHaveAttribute("data-kind", "transfer");
    await offered.getByTestId("assume").click();
    await expect(b.page).toHaveURL(/\/chats$/);
    await expect(b.page.getByTestId("my-role")).toHaveText("participant");

    // A is out: the tab is gone.
    await expect(a.page.getByTestId("chat-tab")).toHaveCount(0);
    await expect(
      visitor.page.getByTestId("sb-system").filter({ hasText: `${aName} transferred you to ${bName}` }),
    ).toHaveCount(1);
    await say(b.page, "Hello Vera, I'll take it from here");
    await expect(visitor.page.getByTestId("sb-messages")).toContainText("I'll take it from here");
    expectNoErrors(cast);
  } finally {
    await tearDown(cast);
  }
});

test("a watcher follows the chat unseen and cannot write", async ({ browser }) => {
  const cast = await setUp(browser);
  const { a, b, visitor, bName } = cast;
  try {
    await aAccepts(cast);

    const active = b.page.getByTestId("active-list").getByTestId("chat-row");
    await expect(active).toContainText("Vera");
    await active.getByTestId("watch").click();
    await expect(b.page).toHaveURL(/\/chats$/);
    await expect(b.page.getByTestId("my-role")).toHaveText("watcher");
    await expect(b.page.getByTestId("read-only")).toBeVisible();
    await expect(b.page.getByTestId("entry")).toHaveCount(0);
    await expect(b.page.getByTestId("messages")).toContainText("Hi Vera, how can I help?");

    // B receives A's next message; nobody else learns B is there.
    await say(a.page, "Let me check that for you");
    await expect(b.page.getByTestId("messages")).toContainText("Let me check that for you");
    await expect(visitor.page.getByTestId("sb-messages")).toContainText("Let me check that for you");
    await expect(a.page.getByTestId("messages")).not.toContainText(bName);
    await expect(a.page.getByTestId("members")).not.toContainText(bName);
    await expect(a.page.getByTestId("viewers")).toHaveCount(0);
    await expect(visitor.page.getByTestId("sb-messages")).not.toContainText(bName);

    // A opens the chat in a window of its own; both windows follow the chat.
    const [popup] = await Promise.all([a.context.waitForEvent("page"), a.page.getByTestId("new-window").click()]);
    await expect(popup).toHaveURL(/\/window\/[0-9a-f-]+$/);
    await expect(popup.getByTestId("messages")).toContainText("Let me check that for you");
    await say(popup, "Written in the other window");
    await expect(a.page.getByTestId("messages")).toContainText("Written in the other window");
    await expect(b.page.getByTestId("messages")).toContainText("Written in the other window");
    await popup.close();
    expectNoErrors(cast);
  } finally {
    await tearDown(cast);
  }
});

test("a kicked visitor sees the end and nothing after it, even after a reload", async ({ browser }) => {
  const cast = await setUp(browser);
  const { a, visitor } = cast;
  try {
    await aAccepts(cast);
    // On hold, the visitor is told the operator will be back; resuming clears it.
    await a.page.getByTestId("hold").click();
    await expect(visitor.page.getByTestId("sb-hold")).toContainText("will be right back");
    await a.page.getByTestId("resume").click();
    await expect(visitor.page.getByTestId("sb-hold")).toHaveCount(0);

    await a.page.getByTestId("kick").click();
    await a.page.getByTestId("confirm-kick").click();

    const ended = visitor.page.getByTestId("sb-system").filter({ hasText: "ended the chat" });
    await expect(ended).toHaveText(["The operator has ended the chat"]);
    await expect(a.page.getByTestId("chat-status")).toHaveText("vacant");

    // The operator still writes; the visitor never sees it.
    await say(a.page, "Note for the file: order 12345");
    await visitor.page.waitForTimeout(1_000);
    const visitorMessages = visitor.page.getByTestId("sb-messages");
    await expect(visitorMessages).not.toContainText("order 12345");
    await visitor.page.reload();
    await expect(visitorMessages).toContainText("Hi Vera, how can I help?");
    await expect(ended).toHaveText(["The operator has ended the chat"]);
    await expect(visitorMessages).not.toContainText("order 12345");

    // Then leave: as the last participant of a vacant chat, A is told it closes.
    await a.page.getByTestId("leave").click();
    await expect(a.page.getByTestId("leave-warning")).toContainText("closed");
    await a.page.getByTestId("confirm-leave").click();
    await expect(a.page.getByTestId("chat-tab")).toHaveCount(0);

    // The kicked visitor cannot come straight back with a new chat…
    await visitor.page.getByTestId("sb-new-chat").click();
    await visitor.page.getByTestId("sb-first-message").fill("Let me back in");
    await visitor.page.getByTestId("sb-start").click();
    await expect(visitor.page.getByTestId("sb-error")).toContainText("cannot start a new chat");
    // …until an admin lifts the ban in Settings.
    await a.page.goto("/admin/settings");
    const banned = a.page.getByTestId("banned-visitor");
    await expect(banned).toHaveCount(1);
    await expect(banned).toContainText("Vera");
    await banned.getByTestId("lift-ban").click();
    await expect(a.page.getByTestId("banned-none")).toBeVisible();
    await visitor.page.getByTestId("sb-start").click();
    await expect(visitor.page.getByTestId("sb-waiting")).toBeVisible();
    // The refused start was a 403 on purpose.
    visitor.errors.splice(0, visitor.errors.length, ...visitor.errors.filter((e) => !/status of 403/.test(e)));
    expectNoErrors(cast);
  } finally {
    await tearDown(cast);
  }
});

test("operators chat privately, and answer from the docked strip", async ({ browser }) => {
  const cast = await setUp(browser);
  const { a, b, aName, bName } = cast;
  try {
    const bOnline = a.page.getByTestId("online-operator").filter({ hasText: bName });
    await bOnline.getByTestId("start-private").click();
    await bOnline.getByTestId("private-message").fill("Can you cover the queue at noon?");
    await bOnline.getByTestId("private-send").click();
    await expect(a.page).toHaveURL(/\/chats$/);
    await expect(a.page.getByTestId("chat-tab")).toHaveText(bName);
    await expect(a.page.getByTestId("messages")).toContainText("Can you cover the queue at noon?");

    // B is told, and opens it from the pop-up.
    const popup = b.page.getByTestId("alert-popup");
    await expect(popup).toHaveAttribute("data-kind", "private_chat");
    await popup.getByTestId("alert-accept").click();
    await expect(b.page).toHaveURL(/\/chats$/);
    await expect(b.page.getByTestId("chat-tab")).toHaveText(aName);
    await expect(b.page.getByTestId("visitor-tree")).toHaveCount(0);

    // Away from My Chats, B answers from the dock.
    await b.page.getByTestId("nav-dashboard").click();
    const chip = b.page.getByTestId("dock-chip").filter({ hasText: aName });
    await chip.click();
    const docked = b.page.getByTestId("dock-panel");
    await expect(docked.getByTestId("messages")).toContainText("Can you cover the queue at noon?");
    await docked.getByTestId("entry").fill("Sure, I will");
    await docked.getByTestId("entry").press("Enter");
    await expect(a.page.getByTestId("messages")).toContainText("Sure, I will");
    await chip.click();
    await expect(docked).toHaveCount(0);
    expectNoErrors(cast);
  } finally {
    await tearDown(cast);
  }
});
