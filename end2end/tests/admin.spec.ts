import { Page } from "@playwright/test";
import { browse, Browsing, expect, Server, startServer, test } from "./server";

// Managing operators (admins only) and My profile. The admin adds an operator, who logs in with
// the default password, changes it and sets how visitors see her; the admin disables her, which
// ends her session at once, and enables her again. Each test runs on a server of its own.

const DEFAULT_PASSWORD = "password";
const ADMIN_PASSWORD = "admin-secret-1";
const OLGA = { email: "olga@example.com", name: "Olga", password: "olga-secret-1" };

/** Fills in the login form. */
async function submitLogin(page: Page, email: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

/** Logs in with the default password and chooses `password`, ending on the live dashboard. */
async function firstLogin(page: Page, email: string, password: string) {
  await submitLogin(page, email, DEFAULT_PASSWORD);
  await expect(page).toHaveURL(/\/password$/);
  await page.getByLabel("Current password").fill(DEFAULT_PASSWORD);
  await page.getByLabel("New password", { exact: true }).fill(password);
  await page.getByLabel("Repeat the new password").fill(password);
  await page.getByRole("button", { name: "Change password" }).click();
  await expectLiveDashboard(page);
}

async function expectLiveDashboard(page: Page) {
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(page.getByTestId("live-dot")).toHaveAttribute("data-live", "true");
}

/** Opens a console page; a navigation of the page's own (to the login) may overtake it. */
async function open(page: Page, path: string) {
  await page.goto(path).catch((err: Error) => {
    if (!/interrupted by another navigation/.test(err.message)) throw err;
  });
}

/** The admin (first admin, password changed) on the Operators page. */
async function adminOnOperators(browser: Browsing, server: Server): Promise<Page> {
  const { page } = browser;
  await firstLogin(page, server.adminEmail, ADMIN_PASSWORD);
  await page.getByTestId("nav-operators").click();
  await expect(page).toHaveURL(/\/admin\/operators$/);
  await expect(page.getByRole("heading", { name: "Operators", exact: true })).toBeVisible();
  await expect(page.getByTestId("operator-row").filter({ hasText: server.adminEmail })).toBeVisible();
  return page;
}

async function createOperator(page: Page, email: string, name: string, role = "operator") {
  const form = page.getByTestId("new-operator-form");
  await form.getByTestId("new-email").fill(email);
  await form.getByTestId("new-name").fill(name);
  await form.getByTestId("new-role").selectOption(role);
  await form.getByTestId("create-operator").click();
}

function row(page: Page, email: string) {
  return page.locator(`[data-testid="operator-row"][data-email="${email}"]`);
}

function logRow(page: Page, action: string) {
  return page.locator(`[data-testid="log-row"][data-action="${action}"]`);
}

test("an admin adds an operator, disables her (ending her session) and enables her again", async ({
  browser,
}) => {
  const server = await startServer();
  const admin = await browse(browser, server.baseURL);
  const olga = await browse(browser, server.baseURL);
  try {
    const page = await adminOnOperators(admin, server);

    // The admin adds Olga; she must change the default password.
    await createOperator(page, OLGA.email, OLGA.name);
    await expect(page.getByTestId("operator-created")).toHaveText(
      `Created ${OLGA.email}. They log in with the password "password" and must change it.`,
    );
    await expect(page.getByTestId("new-email")).toHaveValue("");
    const olgaRow = row(page, OLGA.email);
    await expect(olgaRow).toContainText(OLGA.name);
    await expect(olgaRow).toContainText("Operator");
    await expect(olgaRow.getByTestId("operator-status")).toHaveText("must change password");

    // Olga logs in with the default password and is made to change it.
    await firstLogin(olga.page, OLGA.email, OLGA.password);
    await expect(olga.page.getByTestId("nav-operators")).toHaveCount(0);

    // She sets how visitors see her; the sidebar follows without a reload.
    await olga.page.getByTestId("nav-profile").click();
    const profile = olga.page.getByTestId("profile-form");
    await expect(profile.getByTestId("chat-name")).toHaveAttribute("placeholder", OLGA.name);
    await profile.getByTestId("chat-name").fill("Olga O.");
    await profile.getByTestId("languages").fill("en, de");
    await profile.getByTestId("save-profile").click();
    await expect(profile.getByTestId("profile-saved")).toBeVisible();
    await expect(olga.page.getByTestId("me-name")).toHaveText("Olga O.");
    // Her invitation, as the default text and her chat name make it.
    await expect(profile.getByTestId("invitation-preview")).toContainText("Hello! I'm Olga O.. If you have any questions");
    // Saved on the server, not only in this page.
    await olga.page.reload();
    await expect(olga.page.getByTestId("chat-name")).toHaveValue("Olga O.");
    await expect(olga.page.getByTestId("languages")).toHaveValue("en, de");
    await expect(olga.page.getByTestId("me-name")).toHaveText("Olga O.");

    // Operators is for admins only.
    await olga.page.goto("/admin/operators");
    await expect(olga.page.getByTestId("admin-only")).toHaveText("Only admins can manage operators.");
    await expect(olga.page.getByTestId("operators-table")).toHaveCount(0);
    await expect(olga.page.getByTestId("nav-operators")).toHaveCount(0);
    await expect(olga.page.getByTestId("live-dot")).toHaveAttribute("data-live", "true");
    expect(olga.errors, "console errors in Olga's console").toEqual([]);

    // The admin sees her chat name and that she is active, then disables her.
    await page.reload();
    await expect(olgaRow).toContainText("Olga O.");
    await expect(olgaRow.getByTestId("operator-status")).toHaveText("Active");
    await olgaRow.getByTestId("toggle-disabled").click();
    await expect(olgaRow.getByTestId("operator-status")).toHaveText("Disabled");
    await expect(olgaRow.getByTestId("toggle-disabled")).toHaveText("Enable");

    // Her session is gone: the next page she opens is the login, and she cannot log in.
    await open(olga.page, "/profile");
    await expect(olga.page).toHaveURL(/\/login$/);
    await submitLogin(olga.page, OLGA.email, OLGA.password);
    await expect(olga.page.getByTestId("login-error")).toHaveText("Wrong email or password.");

    // Enabled again, she logs in with her own password.
    await olgaRow.getByTestId("toggle-disabled").click();
    await expect(olgaRow.getByTestId("operator-status")).toHaveText("Active");
    await expect(olgaRow.getByTestId("toggle-disabled")).toHaveText("Disable");
    await submitLogin(olga.page, OLGA.email, OLGA.password);
    await expectLiveDashboard(olga.page);
    await expect(olga.page.getByTestId("me-name")).toHaveText("Olga O.");

    // The action log says what the admin did to Olga's account, and from where.
    await page.getByTestId("nav-log").click();
    await expect(page).toHaveURL(/\/admin\/log$/);
    await expect(page.getByRole("heading", { name: "Action log" })).toBeVisible();
    for (const [action, label] of [
      ["add_operator", "add operator"],
      ["disable_operator", "disable operator"],
      ["enable_operator", "enable operator"],
    ]) {
      const entry = logRow(page, action);
      await expect(entry).toHaveCount(1);
      const cells = entry.locator("td");
      await expect(cells.nth(2)).toHaveText(label);
      await expect(cells.nth(4)).toHaveText(OLGA.email);
      await expect(cells.nth(5)).toHaveText("127.0.0.1");
    }
    await expect(page.getByTestId("log-older")).toHaveCount(0);

    // Filtering by action leaves only that action.
    await page.getByTestId("log-action").selectOption("disable_operator");
    await page.getByTestId("log-apply").click();
    await expect(page.getByTestId("log-row")).toHaveCount(1);
    await expect(logRow(page, "disable_operator")).toHaveCount(1);
    // The admin may pick any operator: Olga logged in, changed her password, and was refused
    // a login while disabled.
    await page.getByTestId("log-action").selectOption("");
    await page.getByTestId("log-operator").selectOption({ label: `${OLGA.name} (${OLGA.email})` });
    await page.getByTestId("log-apply").click();
    await expect(logRow(page, "change_password")).toHaveCount(1);
    const olgas = await page.getByTestId("log-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-action")));
    expect(new Set(olgas)).toEqual(new Set(["login", "change_password", "login_failed"]));
    await expect(logRow(page, "login").first().locator("td").nth(5)).toHaveText("127.0.0.1");

    // A chat id that is not one is refused before asking the server; Reset shows everything.
    await page.getByTestId("log-chat").fill("not-a-chat");
    await page.getByTestId("log-apply").click();
    await expect(page.getByTestId("log-error")).toContainText("chat id");
    await page.getByTestId("log-reset").click();
    await expect(page.getByTestId("log-error")).toHaveCount(0);
    await expect(page.getByTestId("log-chat")).toHaveValue("");
    await expect(page.getByTestId("log-operator")).toHaveValue("");
    await expect(page.getByTestId("log-action")).toHaveValue("");
    await expect(logRow(page, "add_operator")).toHaveCount(1);

    // Olga is an operator: no link, and the page says it is not for her.
    await olga.page.goto("/admin/log");
    await expect(olga.page.getByTestId("log-forbidden")).toHaveText(
      "Only supervisors and admins can read the action log.",
    );
    await expect(olga.page.getByTestId("log-table")).toHaveCount(0);
    await expect(olga.page.getByTestId("nav-log")).toHaveCount(0);

    // Olga forgot her password: the admin gives her the first one back. Her console is sent
    // to the login, and "password" works again, for the forced change only.
    await page.getByTestId("nav-operators").click();
    await row(page, OLGA.email).getByTestId("reset-password").click();
    await expect(row(page, OLGA.email).getByTestId("operator-status")).toHaveText("must change password");
    await expect(olga.page).toHaveURL(/\/login$/, { timeout: 10_000 });
    await firstLogin(olga.page, OLGA.email, "olga-new-secret");

    expect(admin.errors, "console errors in the admin's console").toEqual([]);
  } finally {
    await Promise.all([admin.context.close(), olga.context.close()]);
    await server.stop();
  }
});

test("an admin edits an operator and sees what the server refuses", async ({ browser }) => {
  const server = await startServer();
  const admin = await browse(browser, server.baseURL);
  try {
    const page = await adminOnOperators(admin, server);
    await createOperator(page, OLGA.email, OLGA.name);
    await expect(page.getByTestId("operator-created")).toBeVisible();

    // The same email twice is refused next to the form.
    await createOperator(page, OLGA.email, "Olga Again");
    await expect(page.getByTestId("new-operator-form").getByTestId("operator-error")).toBeVisible();
    await expect(page.getByTestId("operator-created")).toHaveCount(0);
    await expect(page.getByTestId("operator-row")).toHaveCount(2);

    // Editing: the row shows the change; Cancel leaves it as it was.
    const olgaRow = row(page, OLGA.email);
    await olgaRow.getByTestId("edit-operator").click();
    await expect(olgaRow.getByTestId("operator-email")).toHaveValue(OLGA.email);
    await olgaRow.getByTestId("operator-name").fill("Olga Olsen");
    await olgaRow.getByTestId("operator-role").selectOption("supervisor");
    await olgaRow.getByTestId("save-operator").click();
    await expect(olgaRow.getByTestId("save-operator")).toHaveCount(0);
    await expect(olgaRow).toContainText("Olga Olsen");
    await expect(olgaRow).toContainText("Supervisor");
    await olgaRow.getByTestId("edit-operator").click();
    await olgaRow.getByTestId("operator-name").fill("Someone Else");
    await olgaRow.getByTestId("cancel-edit").click();
    await expect(olgaRow).toContainText("Olga Olsen");

    // The admin cannot demote themself, and cannot disable themself at all.
    const adminRow = row(page, server.adminEmail);
    await expect(adminRow.getByTestId("toggle-disabled")).toHaveCount(0);
    await adminRow.getByTestId("edit-operator").click();
    await adminRow.getByTestId("operator-role").selectOption("operator");
    await adminRow.getByTestId("save-operator").click();
    await expect(adminRow.getByTestId("operator-error")).toBeVisible();
    await expect(page.getByTestId("operator-error")).toHaveCount(1);
    await adminRow.getByTestId("cancel-edit").click();
    await expect(page.getByTestId("operator-error")).toHaveCount(0);
    await expect(adminRow).toContainText("Admin");
    await expect(page.getByTestId("nav-operators")).toBeVisible();

    // After a reload the server's list says the same.
    await page.reload();
    await expect(row(page, OLGA.email)).toContainText("Olga Olsen");
    await expect(row(page, OLGA.email)).toContainText("Supervisor");
    await expect(row(page, server.adminEmail)).toContainText("Admin");

    // Refusals answer 4xx, which the browser logs; nothing else went wrong.
    const unexpected = admin.errors.filter((e) => !/status of 4\d\d/.test(e));
    expect(unexpected, "console errors in the admin's console").toEqual([]);
  } finally {
    await admin.context.close();
    await server.stop();
  }
});
