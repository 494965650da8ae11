import { browse, expect, firstLogIn, startServer, test } from "./server";

// Chat bubble (snippet generator): the admin sets the bubble's title, colour and launcher
// label, sees a field's error next to that field, saves, previews the real bubble with the
// form's values and copies the code to paste; a visitor on the demo site then gets the bubble
// as saved.

const TITLE = "Talk to Acme";
const COLOR = "#16a34a";
const LABEL = "Help";

test("an admin configures the chat bubble, previews it, and visitors get it", async ({ browser }) => {
  const server = await startServer();
  const admin = await browse(browser, server.baseURL);
  const visitor = await browse(browser, server.baseURL);
  try {
    await firstLogIn(admin.page, server.adminEmail);
    await admin.page.getByTestId("nav-bubble").click();
    await expect(admin.page).toHaveURL(/\/admin\/bubble$/);
    await expect(admin.page.getByRole("heading", { name: "Chat bubble" })).toBeVisible();

    // Integration code: the snippet to paste, and Copy.
    await expect(admin.page.getByTestId("bubble-snippet")).toContainText("/widget/loader.js");
    await expect(admin.page.getByTestId("bubble-snippet")).toContainText("data-switchboard");
    await admin.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.baseURL });
    await admin.page.getByTestId("bubble-copy").click();
    await expect(admin.page.getByTestId("bubble-copied")).toHaveText("Copied");

    // Configuration: a field's error shows next to that field.
    const form = admin.page.getByTestId("bubble-form");
    await expect(form.getByTestId("bubble-save")).toBeEnabled();
    await form.getByTestId("bubble-color").fill(COLOR);
    await expect(form.getByTestId("bubble-color-hex")).toHaveText(COLOR);
    await form.getByTestId("bubble-launcher-label").fill(LABEL);
    await form.getByTestId("bubble-title").fill("");
    await form.getByTestId("bubble-save").click();
    await expect(form.getByTestId("bubble-error-title")).toBeVisible();
    await expect(form.getByTestId("bubble-saved")).toHaveCount(0);

    await form.getByTestId("bubble-title").fill(TITLE);
    await form.getByTestId("bubble-save").click();
    await expect(form.getByTestId("bubble-saved")).toBeVisible();
    await expect(form.getByTestId("bubble-error-title")).toHaveCount(0);

    // Preview: the real bubble with the form's values.
    const frame = admin.page.getByTestId("bubble-preview-frame");
    await expect(frame).toHaveAttribute("src", /title=Talk%20to%20Acme/);
    await expect(frame).toHaveAttribute("src", /color=%2316a34a/);
    await expect(frame).toHaveAttribute("src", /launcher_label=Help/);
    const preview = admin.page.frameLocator('[data-testid="bubble-preview-frame"]');
    await expect(preview.getByTestId("sb-launcher")).toContainText(LABEL);

    // Unsaved changes reach the preview only.
    await form.getByTestId("bubble-launcher-label").fill("Questions?");
    await expect(preview.getByTestId("sb-launcher")).toContainText("Questions?");
    await form.getByTestId("bubble-launcher-label").fill(LABEL);

    // A visitor gets the bubble as saved.
    await visitor.page.goto("/demo");
    const launcher = visitor.page.getByTestId("sb-launcher");
    await expect(launcher).toContainText(LABEL);
    await launcher.click();
    await expect(visitor.page.getByTestId("sb-panel")).toContainText(TITLE);
    expect(visitor.errors).toEqual([]);
  } finally {
    await admin.context.close();
    await visitor.context.close();
    await server.stop();
  }
});

test("the chat bubble page is for admins only", async ({ browser }) => {
  const server = await startServer();
  const admin = await browse(browser, server.baseURL);
  const olga = await browse(browser, server.baseURL);
  try {
    await firstLogIn(admin.page, server.adminEmail);
    await admin.page.goto("/admin/operators");
    const newOperator = admin.page.getByTestId("new-operator-form");
    await newOperator.getByTestId("new-email").fill("olga@example.com");
    await newOperator.getByTestId("new-name").fill("Olga");
    await newOperator.getByTestId("new-role").selectOption("operator");
    await newOperator.getByTestId("create-operator").click();
    await expect(admin.page.getByTestId("operator-created")).toContainText("olga@example.com");

    await firstLogIn(olga.page, "olga@example.com");
    await expect(olga.page.getByTestId("nav-bubble")).toHaveCount(0);
    await olga.page.goto("/admin/bubble");
    await expect(olga.page.getByTestId("bubble-admin-only")).toBeVisible();
    await expect(olga.page.getByTestId("bubble-form")).toHaveCount(0);
  } finally {
    await admin.context.close();
    await olga.context.close();
    await server.stop();
  }
});
