import { Page } from "@playwright/test";
import { createServer } from "node:http";
import { AddressInfo } from "node:net";
import { axeFindings } from "./axe";
import { cutProxy } from "./proxy";
import { browse, Browsing, expect, firstLogIn, startServer, test } from "./server";

// What a new user runs into (O10 O12 V2 V5 V13): the bubble and the console say when their
// connection is cut and catch up as soon as it is back; both work from the keyboard and name
// things for screen readers; the console passes axe-core and fits a phone; the bubble asks for
// its config once and draws nothing on a site the server does not allow. The network is cut
// by a proxy on loopback, which (unlike `setOffline`) also cuts open streams.

/** The visitor opens the bubble on the demo page and starts a chat. */
async function startChat(visitor: Browsing, name: string, message: string) {
  await visitor.page.goto("/demo");
  await visitor.page.getByTestId("sb-launcher").click();
  await visitor.page.getByTestId("sb-name").fill(name);
  await visitor.page.getByTestId("sb-first-message").fill(message);
  await visitor.page.getByTestId("sb-start").click();
  await expect(visitor.page.getByTestId("sb-waiting")).toBeVisible();
}

/** Takes focus off whatever has it, so the next Tab starts from the top of the page. */
async function blur(page: Page) {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
}

/** Tells the page the browser is back online, as it does when the network returns. */
async function backOnline(page: Page) {
  await page.evaluate(() => window.dispatchEvent(new Event("online")));
}

/** Accepts the waiting chat of `name` from the dashboard; answers its id. */
async function accept(page: Page, name: string): Promise<string> {
  const row = page.getByTestId("waiting-list").getByTestId("chat-row").filter({ hasText: name });
  const id = (await row.getAttribute("data-chat-id")) ?? "";
  await row.getByTestId("accept").click();
  await expect(page).toHaveURL(/\/chats$/);
  return id;
}

test("the bubble asks for its config once, works from the keyboard and keeps phones from zooming", async ({
  browser,
}) => {
  const server = await startServer();
  // An operator is online, so the bubble offers a live chat (not the message form).
  const ada = await browse(browser, server.baseURL);
  const visitor = await browse(browser, server.baseURL);
  try {
    await firstLogIn(ada.page, server.adminEmail);
    const configRequests: string[] = [];
    visitor.page.on("request", (r) => {
      if (new URL(r.url()).pathname === "/api/v1/widget/config") configRequests.push(r.url());
    });
    await visitor.page.goto("/demo");
    const launcher = visitor.page.getByTestId("sb-launcher");
    await expect(launcher).toBeVisible();
    // The page with the bubble closed passes axe-core.
    expect(await axeFindings(visitor.page), "bubble closed").toEqual([]);
    // The launcher comes before the panel, so Tab goes from one into the other.
    const launcherFirst = await visitor.page.evaluate(() => {
      const launcher = document.querySelector('[data-testid="sb-launcher"]');
      const panel = document.getElementById("switchboard-panel");
      return !!launcher && !!panel && !!(launcher.compareDocumentPosition(panel) & Node.DOCUMENT_POSITION_FOLLOWING);
    });
    expect(launcherFirst).toBe(true);

    // Opening from the keyboard puts focus in the panel; Escape closes it, back to the launcher.
    await launcher.focus();
    await visitor.page.keyboard.press("Enter");
    await expect(visitor.page.getByTestId("sb-name")).toBeFocused();
    await expect(visitor.page.getByTestId("sb-start")).toHaveText("Start Chat");
    // Once its opening animation is over (axe reads colours as they are drawn).
    await expect
      .poll(() => visitor.page.getByTestId("sb-panel").evaluate((el) => getComputedStyle(el).opacity))
      .toBe("1");
    expect(await axeFindings(visitor.page), "bubble open").toEqual([]);
    for (const field of ["sb-name", "sb-first-message"]) {
      const size = await visitor.page.getByTestId(field).evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
      expect(size, `${field} font size`).toBeGreaterThanOrEqual(16);
    }
    await visitor.page.keyboard.press("Escape");
    await expect(visitor.page.getByTestId("sb-panel")).toBeHidden();
    await expect(launcher).toBeFocused();
    await expect(launcher).toHaveAttribute("aria-expanded", "false");
    await visitor.page.keyboard.press("Enter");
    await expect(visitor.page.getByTestId("sb-name")).toBeFocused();
    await launcher.focus();
    await visitor.page.keyboard.press("Tab");
    const tabbedIntoPanel = await visitor.page.evaluate(
      () => document.getElementById("switchboard-panel")?.contains(document.activeElement) ?? false,
    );
    expect(tabbedIntoPanel).toBe(true);

    // One config request for the whole page view, launcher and panel together.
    expect(configRequests).toHaveLength(1);
    expect(visitor.errors).toEqual([]);
  } finally {
    await visitor.context.close();
    await ada.context.close();
    await server.stop();
  }
});

test("a site the server does not allow gets no bubble and one clear message", async ({ browser }) => {
  const server = await startServer();
  const visitor = await browse(browser, server.baseURL);
  try {
    const said: string[] = [];
    const fetched: string[] = [];
    visitor.page.on("console", (m) => said.push(m.text()));
    visitor.page.on("request", (r) => fetched.push(new URL(r.url()).pathname));
    // A page of another site (answered here, never fetched from the network) with the snippet.
    // Another site, on a port of its own on loopback, embeds the snippet.
    const site = createServer((_, response) => {
      response.setHeader("content-type", "text/html");
      response.end(
        `<!doctype html><title>Shop</title><p>Shop</p><script src="${server.baseURL}/widget/loader.js" async data-switchboard></script>`,
      );
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    const shop = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
    await visitor.page.goto(shop);
    await expect.poll(() => said.filter((m) => m.includes("--allowed-origins")).length).toBe(1);
    expect(said.find((m) => m.includes("--allowed-origins"))).toContain(new URL(shop).origin);
    await visitor.page.waitForTimeout(500);
    await expect(visitor.page.getByTestId("sb-launcher")).toHaveCount(0);
    expect(fetched.filter((p) => p.startsWith("/widget/") && !p.endsWith("/loader.js"))).toEqual([]);
    site.close();
  } finally {
    await visitor.context.close();
    await server.stop();
  }
});

test("the bubble says when its connection is cut, and catches up as soon as it is back", async ({ browser }) => {
  const server = await startServer();
  const proxy = await cutProxy(server.baseURL);
  const ada = await browse(browser, server.baseURL);
  const visitor = await browse(browser, proxy.url);
  try {
    await firstLogIn(ada.page, server.adminEmail);
    await startChat(visitor, "Vera", "Is anyone there?");
    await expect(visitor.page.getByTestId("sb-reconnecting")).toHaveCount(0);

    proxy.cut();
    const status = visitor.page.getByTestId("sb-connection");
    await expect(status).toHaveAttribute("role", "status");
    await expect(status).toContainText("Reconnecting");
    // Written while cut off: kept, shown as sending, and sent once the network is back.
    await visitor.page.getByTestId("sb-input").fill("Hello again");
    await visitor.page.getByTestId("sb-input").press("Enter");
    await expect(visitor.page.locator('[data-pending="true"]')).toContainText("Hello again");
    // Long enough for the back-off to reach its longest wait.
    await visitor.page.waitForTimeout(5000);

    proxy.restore();
    await backOnline(visitor.page);
    await expect(visitor.page.getByTestId("sb-restored")).toBeVisible({ timeout: 1500 });
    await expect(visitor.page.locator('[data-pending="true"]')).toHaveCount(0);
    await expect(
      visitor.page.getByTestId("sb-message").filter({ hasText: "Hello again" }),
    ).toHaveCount(1);
    await expect(visitor.page.getByTestId("sb-restored")).toHaveCount(0, { timeout: 6000 });

    // Cut again: showing the page again reconnects at once too.
    proxy.cut();
    await expect(visitor.page.getByTestId("sb-reconnecting")).toBeVisible();
    await visitor.page.waitForTimeout(5000);
    proxy.restore();
    await visitor.page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
    await expect(visitor.page.getByTestId("sb-restored")).toBeVisible({ timeout: 1500 });
  } finally {
    await visitor.context.close();
    await ada.context.close();
    await proxy.close();
    await server.stop();
  }
});

test("the console and a chat window say when the connection is cut and when they are back", async ({
  browser,
}) => {
  const server = await startServer();
  const proxy = await cutProxy(server.baseURL);
  const operator = await browse(browser, proxy.url);
  const visitor = await browse(browser, server.baseURL);
  try {
    await firstLogIn(operator.page, server.adminEmail);
    await expect(operator.page.getByTestId("live-text")).toHaveText("Connected");
    await startChat(visitor, "Vera", "Hello");
    const chat = await accept(operator.page, "Vera");
    const window = await operator.context.newPage();
    await window.goto(`/window/${chat}`);
    // Live: the page is hydrated (its controls wait, disabled, until then).
    await expect(window.getByTestId("entry")).toBeEnabled();

    proxy.cut();
    for (const page of [operator.page, window]) {
      await expect(page.getByTestId("reconnecting")).toBeVisible();
      await expect(page.getByTestId("connection")).toHaveAttribute("aria-live", "polite");
    }
    await expect(operator.page.getByTestId("live-text")).toHaveText("Reconnecting");
    await visitor.page.getByTestId("sb-input").fill("Are you still there?");
    await visitor.page.getByTestId("sb-input").press("Enter");

    proxy.restore();
    for (const page of [operator.page, window]) await backOnline(page);
    for (const page of [operator.page, window]) {
      await expect(page.getByTestId("restored")).toBeVisible({ timeout: 1500 });
      await expect(page.getByTestId("messages")).toContainText("Are you still there?");
    }
    await expect(operator.page.getByTestId("live-text")).toHaveText("Connected");
  } finally {
    await operator.context.close();
    await visitor.context.close();
    await proxy.close();
    await server.stop();
  }
});

test("the dashboard names what its buttons do, offers Watch chat on every row and passes axe", async ({
  browser,
}) => {
  const server = await startServer();
  server.addOperator("bob@example.com", "Bob");
  const [ada, bob, vera, sam] = [
    await browse(browser, server.baseURL),
    await browse(browser, server.baseURL),
    await browse(browser, server.baseURL),
    await browse(browser, server.baseURL),
  ];
  try {
    const adaName = await firstLogIn(ada.page, server.adminEmail);
    await firstLogIn(bob.page, "bob@example.com");
    await startChat(vera, "Vera", "I need help");

    // The badge says what it counts; the lists are named regions; buttons name the visitor.
    await expect(ada.page.getByTestId("badge-waiting")).toHaveAttribute("aria-label", "1 waiting");
    const waiting = ada.page.getByRole("region", { name: "Waiting" });
    await expect(waiting.getByRole("button", { name: "Accept: the chat with Vera" })).toBeVisible();
    await expect(waiting.getByRole("button", { name: "Watch chat: the chat with Vera" })).toBeVisible();
    expect(await axeFindings(ada.page)).toEqual([]);

    // In the chat: a labelled log, a labelled entry bar, a toggle that says what it does.
    await accept(ada.page, "Vera");
    await expect(ada.page.getByRole("log", { name: "Conversation with Vera" })).toBeVisible();
    await expect(ada.page.getByRole("textbox", { name: "Message" })).toBeFocused();
    await expect(ada.page.getByTestId("note-toggle")).toHaveAccessibleName(/Switch to a note/);
    await ada.page.getByTestId("note-toggle").click();
    await expect(ada.page.getByRole("textbox", { name: "Note" })).toBeVisible();
    await expect(ada.page.getByTestId("note-toggle")).toHaveAccessibleName(/Switch to a message/);
    await ada.page.getByTestId("note-toggle").click();
    expect(await axeFindings(ada.page)).toEqual([]);

    // An invitation and a transfer both offer Watch chat too (the manual: "for all chats").
    await ada.page.getByTestId("invite").click();
    await ada.page.getByTestId("operator-picker").getByTestId("picker-operator").filter({ hasText: "Bob" }).click();
    const invited = bob.page.getByRole("region", { name: "Invite" }).getByTestId("chat-row");
    await expect(invited.getByRole("button", { name: "Watch chat: the chat with Vera" })).toBeVisible();
    await expect(invited.getByRole("button", { name: "Decline: the chat with Vera" })).toBeVisible();
    await invited.getByTestId("decline").click();
    await expect(invited).toHaveCount(0);
    await ada.page.getByTestId("transfer").click();
    await ada.page.getByTestId("operator-picker").getByTestId("picker-operator").filter({ hasText: "Bob" }).click();
    const offered = bob.page.getByRole("region", { name: "Transfer" }).getByTestId("chat-row");
    await expect(offered.getByRole("button", { name: "Watch chat: the chat with Vera" })).toBeVisible();
    expect(await axeFindings(bob.page)).toEqual([]);

    // Bob assumes it: Ada, who handed it on, is not shown as viewing it.
    await offered.getByTestId("assume").click();
    await expect(bob.page).toHaveURL(/\/chats$/);
    await expect(bob.page.getByTestId("my-role")).toHaveText("participant");
    await bob.page.waitForTimeout(300);
    await expect(bob.page.getByTestId("viewers").filter({ hasText: adaName })).toHaveCount(0, { timeout: 1000 });

    // An active chat offers Join chat and Watch chat.
    await startChat(sam, "Sam", "Me too");
    await ada.page.getByTestId("nav-dashboard").click();
    await accept(ada.page, "Sam");
    await bob.page.getByTestId("nav-dashboard").click();
    const active = bob.page.getByRole("region", { name: "Active" }).getByTestId("chat-row").filter({ hasText: "Sam" });
    await expect(active.getByRole("button", { name: "Join chat: the chat with Sam" })).toBeVisible();
    await expect(active.getByRole("button", { name: "Watch chat: the chat with Sam" })).toBeVisible();

    // Every other console page passes axe too.
    for (const path of [
      "/chats",
      "/tickets",
      "/canned",
      "/channels",
      "/profile",
      "/admin/operators",
      "/admin/bubble",
      "/admin/settings",
      "/admin/webhooks",
      "/admin/log",
    ]) {
      await ada.page.goto(path);
      await expect(ada.page.getByTestId("live-dot")).toHaveAttribute("data-live", "true");
      expect(await axeFindings(ada.page), path).toEqual([]);
    }
    expect(ada.errors).toEqual([]);
    expect(bob.errors).toEqual([]);
  } finally {
    for (const who of [ada, bob, vera, sam]) await who.context.close();
    await server.stop();
  }
});

test("the console works from the keyboard: skip link, pop-up first, focus where the work is", async ({
  browser,
}) => {
  const server = await startServer();
  const [ada, vera] = [await browse(browser, server.baseURL), await browse(browser, server.baseURL)];
  try {
    // A wrong password is announced.
    await ada.page.goto("/login");
    expect(await axeFindings(ada.page), "login").toEqual([]);
    await ada.page.getByLabel("Email").fill(server.adminEmail);
    await ada.page.getByLabel("Password", { exact: true }).fill("wrong-password");
    await ada.page.getByRole("button", { name: "Log in" }).click();
    await expect(ada.page.getByRole("alert")).toContainText("Wrong email or password");

    await firstLogIn(ada.page, server.adminEmail);
    // The first Tab reaches "Skip to content", which moves focus past the sidebar.
    await blur(ada.page);
    await ada.page.keyboard.press("Tab");
    await expect(ada.page.getByTestId("skip-link")).toBeFocused();
    await ada.page.keyboard.press("Enter");
    await expect(ada.page.locator("#content")).toBeFocused();

    // Every stop of the sidebar shows where the focus is.
    await blur(ada.page);
    for (let stop = 0; stop < 12; stop++) {
      await ada.page.keyboard.press("Tab");
      const outline = await ada.page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return "none";
        const style = getComputedStyle(el);
        return `${style.outlineStyle} ${style.outlineWidth} ${el.tagName}`;
      });
      expect(outline, `Tab stop ${stop}`).not.toMatch(/^none|^\S+ 0px/);
    }

    // A new chat's pop-up is the next stop after the skip link, wherever the operator is.
    await startChat(vera, "Vera", "Hello");
    const popup = ada.page.getByTestId("alert-popup");
    await expect(popup).toBeVisible();
    await ada.page.getByTestId("skip-link").focus();
    await ada.page.keyboard.press("Tab");
    await expect(popup.getByTestId("alert-accept")).toBeFocused();
    // Accepting puts the cursor in the chat's entry bar.
    await ada.page.keyboard.press("Enter");
    await expect(ada.page).toHaveURL(/\/chats$/);
    await expect(ada.page.getByTestId("entry")).toBeFocused();

    // A confirmation takes focus on its safe answer, and Escape cancels it.
    await ada.page.getByTestId("close").click();
    await expect(ada.page.getByTestId("cancel-confirm")).toBeFocused();
    await expect(ada.page.getByRole("alertdialog")).toHaveAccessibleName("Close the chat for everyone?");
    await ada.page.keyboard.press("Escape");
    await expect(ada.page.getByRole("alertdialog")).toHaveCount(0);
    expect(ada.errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  } finally {
    await ada.context.close();
    await vera.context.close();
    await server.stop();
  }
});

test("the console fits a phone: a menu for the navigation and a full-width entry bar", async ({ browser }) => {
  const server = await startServer();
  const [ada, vera] = [await browse(browser, server.baseURL), await browse(browser, server.baseURL)];
  try {
    await ada.page.setViewportSize({ width: 375, height: 667 });
    await firstLogIn(ada.page, server.adminEmail);
    const nav = ada.page.getByRole("navigation", { name: "Console" });
    const folded = await nav.boundingBox();
    expect(folded?.height ?? 999).toBeLessThan(80);
    await expect(ada.page.getByTestId("nav-canned")).toBeHidden();
    await ada.page.getByTestId("menu-toggle").click();
    await expect(ada.page.getByTestId("menu-toggle")).toHaveAttribute("aria-expanded", "true");
    await ada.page.getByTestId("nav-canned").click();
    await expect(ada.page).toHaveURL(/\/canned$/);
    await expect(ada.page.getByTestId("nav-canned")).toBeHidden();

    await startChat(vera, "Vera", "Hello from my phone");
    await ada.page.goto("/");
    await accept(ada.page, "Vera");
    const entry = await ada.page.getByTestId("entry").boundingBox();
    expect(entry?.width ?? 0).toBeGreaterThan(300);
    const overflow = await ada.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  } finally {
    await ada.context.close();
    await vera.context.close();
    await server.stop();
  }
});

test("tabs and windows share one stream, a reply goes out within a second, and nothing typed is lost", async ({
  browser,
}) => {
  const server = await startServer();
  const proxy = await cutProxy(server.baseURL);
  const ada = await browse(browser, proxy.url);
  const vera = await browse(browser, server.baseURL);
  try {
    await firstLogIn(ada.page, server.adminEmail);
    await startChat(vera, "Vera", "Hello");
    const chat = await accept(ada.page, "Vera");
    const streams: string[] = [];
    ada.context.on("request", (r) => {
      if (new URL(r.url()).pathname === "/api/console/events") streams.push(r.url());
    });

    // Four tabs and two windows of one console, in one browser.
    const tabs = [ada.page];
    for (const path of ["/chats", "/chats", "/"]) {
      const tab = await ada.context.newPage();
      await tab.goto(path);
      await expect(tab.getByTestId("live-dot")).toHaveAttribute("data-live", "true");
      tabs.push(tab);
    }
    const windows: Page[] = [];
    for (let i = 0; i < 2; i++) {
      const window = await ada.context.newPage();
      await window.goto(`/window/${chat}`);
      await expect(window.getByTestId("entry")).toBeVisible();
      windows.push(window);
    }
    // They follow the first tab's stream rather than opening their own.
    expect(streams).toEqual([]);

    // A reply from a window reaches the visitor within a second; every view shows it.
    await windows[1].getByTestId("entry").fill("Right here");
    await windows[1].getByTestId("entry").press("Enter");
    await expect(vera.page.getByTestId("sb-messages")).toContainText("Right here", { timeout: 1000 });
    for (const view of [tabs[1], windows[0]]) await expect(view.getByTestId("messages")).toContainText("Right here");
    // The visitor's answer reaches every view too.
    await vera.page.getByTestId("sb-input").fill("Thanks");
    await vera.page.getByTestId("sb-input").press("Enter");
    for (const view of [tabs[2], windows[0], windows[1]]) await expect(view.getByTestId("messages")).toContainText("Thanks");
    // A seventh view still loads.
    const seventh = await ada.context.newPage();
    await seventh.goto("/admin/operators");
    await expect(seventh.getByTestId("operators-table")).toContainText(server.adminEmail);
    await seventh.close();

    // The leading tab closes: another takes the stream over, from where it was.
    await tabs[0].close();
    tabs.shift();
    await expect.poll(() => streams.length).toBe(1);
    await vera.page.getByTestId("sb-input").fill("Still there?");
    await vera.page.getByTestId("sb-input").press("Enter");
    for (const view of [tabs[0], tabs[1], ...windows]) {
      await expect(view.getByTestId("messages")).toContainText("Still there?");
    }

    // Cut off, replies are queued ("sending…"), each in turn, with the box free for the next.
    proxy.cut();
    for (const view of tabs) await expect(view.getByTestId("reconnecting")).toBeVisible();
    const entry = windows[0].getByTestId("entry");
    await entry.fill("First");
    await entry.press("Enter");
    await expect(entry).toHaveValue("");
    await entry.fill("Second");
    await entry.press("Enter");
    await expect(windows[0].getByTestId("pending-message")).toHaveText([/First/, /Second/]);
    // One queued from a tab survives a change of page within the console.
    await tabs[0].getByTestId("entry").fill("Third");
    await tabs[0].getByTestId("entry").press("Enter");
    await tabs[0].getByTestId("nav-dashboard").click();
    await tabs[0].getByTestId("nav-my-chats").click();
    await expect(tabs[0].getByTestId("pending-message")).toHaveText([/First/, /Second/, /Third/]);
    // The window that wrote two of them is closed before they could go.
    await windows[0].close();

    proxy.restore();
    for (const view of [...tabs, windows[1]]) await backOnline(view);
    const said = vera.page.getByTestId("sb-message").locator(".sb-bubble").filter({ hasText: /^(First|Second|Third)$/ });
    await expect(said).toHaveText(["First", "Second", "Third"], { timeout: 15_000 });
    await expect(tabs[0].getByTestId("pending-message")).toHaveCount(0);
    expect(ada.errors.filter((e) => !/ERR_CONNECTION|Failed to load resource|net::/.test(e))).toEqual([]);
  } finally {
    await ada.context.close();
    await vera.context.close();
    await proxy.close();
    await server.stop();
  }
});
