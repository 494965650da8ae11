import { Page } from "@playwright/test";
import { browse, expect, firstLogIn, startServer, test } from "./server";

// Canned messages (O15): the admin keeps a shared one on the Canned messages page and adds an
// operator; the operator, in a visitor's chat, types its /shortcut and presses Tab, or picks it
// from the entry bar's picker, and gets its text with the variables filled in.

const GREETING = {
  title: "Greeting",
  shortcut: "hello",
  body: "Hello %visitor%! I'm %name%. %unknown% stays.",
};
const OLGA = { email: "olga@example.com", name: "Olga" };

const logIn = firstLogIn;

/** Opens a console page and waits until it runs in the browser. */
async function open(page: Page, path: string) {
  await page.goto(path);
  await expect(page.getByTestId("live-dot")).toHaveAttribute("data-live", "true");
}

test("an operator inserts a shared canned message by its shortcut and from the picker", async ({ browser }) => {
  const server = await startServer();
  const [admin, olga, visitor] = [
    await browse(browser, server.baseURL),
    await browse(browser, server.baseURL),
    await browse(browser, server.baseURL),
  ];
  try {
    // The admin adds a shared canned message.
    await logIn(admin.page, server.adminEmail);
    await open(admin.page, "/canned");
    await expect(admin.page.getByRole("heading", { name: "Canned messages" })).toBeVisible();
    const form = admin.page.getByTestId("canned-form");
    await form.getByTestId("canned-title").fill(GREETING.title);
    await form.getByTestId("canned-shortcut").fill(GREETING.shortcut);
    await form.getByTestId("canned-body").fill(GREETING.body);
    await form.getByTestId("canned-shared-toggle").check();
    await form.getByTestId("canned-save").click();
    const shared = admin.page.getByTestId("canned-shared").locator(`[data-testid="canned-item"][data-shortcut="hello"]`);
    await expect(shared).toContainText(GREETING.title);
    await expect(shared).toContainText("/hello");
    await expect(shared).toContainText(GREETING.body);
    await expect(shared.getByTestId("canned-edit")).toBeVisible();
    await expect(admin.page.getByTestId("canned-mine").getByTestId("canned-item")).toHaveCount(0);
    await expect(form.getByTestId("canned-title")).toHaveValue("");
    await expect(admin.page.getByTestId("canned-error")).toHaveCount(0);

    // The admin adds Olga.
    await open(admin.page, "/admin/operators");
    const newOperator = admin.page.getByTestId("new-operator-form");
    await newOperator.getByTestId("new-email").fill(OLGA.email);
    await newOperator.getByTestId("new-name").fill(OLGA.name);
    await newOperator.getByTestId("new-role").selectOption("operator");
    await newOperator.getByTestId("create-operator").click();
    await expect(admin.page.getByTestId("operator-created")).toContainText(OLGA.email);

    // Olga logs in, changes the default password, and sees the shared message she may not change.
    const olgaName = await logIn(olga.page, OLGA.email);
    await open(olga.page, "/canned");
    const seen = olga.page.getByTestId("canned-shared").locator(`[data-testid="canned-item"][data-shortcut="hello"]`);
    await expect(seen).toContainText(GREETING.body);
    await expect(seen.getByTestId("canned-edit")).toHaveCount(0);
    await expect(seen.getByTestId("canned-delete")).toHaveCount(0);
    await expect(olga.page.getByTestId("canned-shared-toggle")).toHaveCount(0);
    await olga.page.getByTestId("nav-dashboard").click();

    // Vera starts a chat; Olga accepts it.
    await visitor.page.goto("/demo");
    await visitor.page.getByTestId("sb-launcher").click();
    await visitor.page.getByTestId("sb-name").fill("Vera");
    await visitor.page.getByTestId("sb-first-message").fill("Hello, I need help with my order");
    await visitor.page.getByTestId("sb-start").click();
    await olga.page.getByTestId("waiting-list").getByTestId("chat-row").getByTestId("accept").click();
    await expect(olga.page).toHaveURL(/\/chats$/);
    const expected = `Hello Vera! I'm ${olgaName}. %unknown% stays.`;

    // The shortcut and Tab: the entry becomes the message's text; Enter then sends it.
    const entry = olga.page.getByTestId("entry");
    await entry.fill("/hello");
    await entry.press("Tab");
    await expect(entry).toHaveValue(expected);
    await entry.press("Enter");
    await expect(entry).toHaveValue("");
    await expect(visitor.page.getByTestId("sb-messages")).toContainText(expected);
    await expect(olga.page.getByTestId("messages").getByTestId("message").filter({ hasText: expected })).toHaveCount(1);

    // The picker: search, then pick with the keyboard.
    await olga.page.getByTestId("canned-button").click();
    const picker = olga.page.getByTestId("canned-picker");
    await expect(picker).toBeVisible();
    await picker.getByTestId("canned-search").fill("greet");
    await expect(picker.getByTestId("canned-option")).toHaveCount(1);
    await expect(picker.getByTestId("canned-option")).toContainText("Greeting");
    await expect(picker.getByTestId("canned-option")).toContainText("/hello");
    await picker.getByTestId("canned-search").press("Enter");
    await expect(picker).toHaveCount(0);
    await expect(entry).toHaveValue(expected);

    // Picking with the mouse appends to what was typed; Escape closes the picker.
    await entry.fill("Thanks for waiting.");
    await olga.page.getByTestId("canned-button").click();
    await picker.getByTestId("canned-search").fill("nothing like this");
    await expect(picker.getByTestId("canned-option")).toHaveCount(0);
    await picker.getByTestId("canned-search").press("Escape");
    await expect(picker).toHaveCount(0);
    await olga.page.getByTestId("canned-button").click();
    await picker.getByTestId("canned-option").filter({ hasText: "Greeting" }).click();
    await expect(entry).toHaveValue(`Thanks for waiting. ${expected}`);

    // An unknown shortcut is sent as it is.
    await entry.fill("/nope");
    await entry.press("Enter");
    await expect(visitor.page.getByTestId("sb-messages")).toContainText("/nope");

    expect(admin.errors, "console errors in the admin's console").toEqual([]);
    expect(olga.errors, "console errors in Olga's console").toEqual([]);
  } finally {
    await Promise.all([admin.context.close(), olga.context.close(), visitor.context.close()]);
    await server.stop();
  }
});
