import { axeFindings } from "./axe";
import { browse, expect, firstLogIn, startServer, test } from "./server";

// Visitors on the site (O25): an operator watches visitors browse the demo site live, opens a
// visitor's profile from the badge and engages them with a canned invitation; the visitor
// sees the chat request, clicks Start Chat and opens a text chat that lands in the operator's
// My Chats. A second visitor closes the request. Three browser contexts.

test("an operator sees visitors browse, invites one with a canned text, and chats", async ({ browser }) => {
  const server = await startServer();
  const [op, vera, walt] = [
    await browse(browser, server.baseURL),
    await browse(browser, server.baseURL),
    await browse(browser, server.baseURL),
  ];
  try {
    const name = await firstLogIn(op.page, server.adminEmail);

    // A shared canned invitation to pick later.
    await op.page.getByTestId("nav-canned").click();
    const form = op.page.getByTestId("canned-form");
    await form.getByTestId("canned-title").fill("Invite");
    await form.getByTestId("canned-shortcut").fill("invite");
    await form.getByTestId("canned-body").fill("Hi! I'm %name%. Can I help you choose a plan?");
    await form.getByTestId("canned-shared-toggle").check();
    await form.getByTestId("canned-save").click();
    await expect(op.page.getByTestId("canned-shared").getByTestId("canned-item")).toHaveCount(1);

    await op.page.getByTestId("nav-visitors").click();
    await expect(op.page.getByRole("heading", { name: "Visitors" })).toBeVisible();
    await expect(op.page.getByTestId("visitors-none")).toBeVisible();

    // Vera browses the demo site: her badge appears live, and follows her to the pricing page.
    await vera.page.goto("/demo");
    const badges = op.page.getByTestId("visitor-badge");
    await expect(badges).toHaveCount(1);
    await expect(op.page.getByTestId("badge-visitors")).toHaveText("1");
    await vera.page.getByRole("link", { name: "Pricing" }).click();
    await expect(vera.page).toHaveURL(/\/demo\/pricing$/);
    await expect(badges.first().getByTestId("visitor-pages")).toHaveText("2 pages");
    await expect(badges.first().getByTestId("visitor-page")).toContainText(/pricing/i);

    await walt.page.goto("/demo");
    await expect(badges).toHaveCount(2);
    await expect(op.page.getByTestId("badge-visitors")).toHaveText("2");
    // Search narrows the list.
    await op.page.getByTestId("visitors-search").fill("pricing");
    await expect(badges).toHaveCount(1);
    const veraBadge = badges.first();

    // Double-click: the profile, with her page trail.
    await veraBadge.dblclick();
    const profile = op.page.getByTestId("visitor-profile");
    await expect(profile.getByTestId("tab-live-communication")).toBeVisible();
    await expect(profile.getByTestId("trail-page")).toHaveCount(2);
    await expect(profile.getByTestId("visitor-tree")).toBeVisible();
    await expect(profile.getByTestId("profile-no-chats")).toBeVisible();
    await profile.getByTestId("visitor-profile-close").click();

    // Right-click: Engage in communication opens the profile with the message dialog, holding
    // the default invitation; Canned replaces it.
    await veraBadge.click({ button: "right" });
    await op.page.getByTestId("visitor-engage").click();
    const dialog = op.page.getByTestId("invitation-dialog");
    await expect(dialog.getByTestId("invitation-text")).toHaveValue(new RegExp(`I'm ${name}`));
    await dialog.getByTestId("invitation-canned").click();
    await dialog.getByTestId("canned-option").filter({ hasText: "Invite" }).click();
    const text = `Hi! I'm ${name}. Can I help you choose a plan?`;
    await expect(dialog.getByTestId("invitation-text")).toHaveValue(text);
    expect(await axeFindings(op.page), "Visitors page with a profile and the invitation dialog").toEqual([]);
    await dialog.getByTestId("invitation-send").click();
    await expect(dialog).toHaveCount(0);
    const status = profile.getByTestId("invitation-status");
    await expect(status).toHaveAttribute("data-status", /sent|seen/);

    // Vera's page shows the request without loading the panel; the operator sees it seen.
    const request = vera.page.getByTestId("sb-invitation");
    await expect(request).toContainText(text);
    await expect(request).toContainText(name);
    await expect(vera.page.getByTestId("sb-panel")).toHaveCount(0);
    expect(await axeFindings(vera.page), "the chat request").toEqual([]);
    await expect(status).toHaveAttribute("data-status", "seen");

    // Start Chat: "Open chat with operator", a name, and the chat opens with the operator.
    await request.getByTestId("sb-invitation-start").click();
    await expect(request).toHaveCount(0);
    const invited = vera.page.getByTestId("sb-invitation-form");
    await expect(invited).toContainText("Open chat with operator");
    // Once the panel has faded in: colours are judged at full opacity.
    await expect
      .poll(() => vera.page.getByTestId("sb-panel").evaluate((el) => getComputedStyle(el).opacity))
      .toBe("1");
    expect(await axeFindings(vera.page), "Open chat with operator").toEqual([]);
    await invited.getByTestId("sb-name").fill("Vera");
    // The type of communication: text unless the visitor picks voice.
    await expect(invited.getByTestId("sb-kind-text")).toBeChecked();
    await expect(invited.getByTestId("sb-kind-voice")).not.toBeChecked();
    await invited.getByTestId("sb-open-chat").click();
    await expect(vera.page.getByTestId("sb-messages")).toContainText(text);
    await expect(status).toHaveAttribute("data-status", "accepted");

    // The chat is in the operator's My Chats, active, and they talk.
    await op.page.getByTestId("nav-my-chats").click();
    await expect(op.page.getByTestId("messages")).toContainText(text);
    await op.page.getByTestId("entry").fill("Our Pro plan suits most shops.");
    await op.page.getByTestId("entry").press("Enter");
    await expect(vera.page.getByTestId("sb-messages")).toContainText("Our Pro plan suits most shops.");

    // Walt is invited too, by keyboard from his badge's menu button, and closes the request.
    await op.page.getByTestId("nav-visitors").click();
    const waltBadge = op.page.getByTestId("visitor-badge").filter({ hasNot: op.page.getByTestId("visitor-in-chat") });
    await expect(waltBadge).toHaveCount(1);
    await waltBadge.getByTestId("visitor-menu").focus();
    await op.page.keyboard.press("Enter");
    await op.page.getByTestId("visitor-engage").click();
    await op.page.getByTestId("invitation-send").click();
    const waltRequest = walt.page.getByTestId("sb-invitation");
    await expect(waltRequest).toBeVisible();
    await waltRequest.getByTestId("sb-invitation-close").click();
    await expect(waltRequest).toHaveCount(0);
    await expect(op.page.getByTestId("invitation-status")).toHaveAttribute("data-status", "declined");
    await expect(waltBadge.getByTestId("visitor-invitation")).toHaveAttribute("data-status", "declined");

    expect(op.errors, "console errors in the operator's console").toEqual([]);
    expect(vera.errors, "errors on Vera's page").toEqual([]);
    expect(walt.errors, "errors on Walt's page").toEqual([]);
  } finally {
    await Promise.all([op.context.close(), vera.context.close(), walt.context.close()]);
    await server.stop();
  }
});
