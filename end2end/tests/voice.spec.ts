import { Page } from "@playwright/test";
import { browse, expect, firstLogIn, startServer, test } from "./server";

// Voice chat (V7 O26): browser to browser over WebRTC, signalled through Switchboard's own API
// and streams. Chromium's fake microphone plays a tone on both sides; each side measures the
// audio it receives with a WebAudio analyser: sound while talking, silence once the other
// side mutes; hanging up ends the call on both sides and the chat records it.

test.use({
  launchOptions: {
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      "--autoplay-policy=no-user-gesture-required",
    ],
  },
});

/** The loudest sample of the call's received audio over two and a half seconds (0 to 1). */
async function received(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const audio = document.querySelector<HTMLAudioElement>('[data-testid="call-audio"]');
    const stream = audio?.srcObject as MediaStream | null;
    if (!stream) return -1;
    const context = new AudioContext();
    await context.resume();
    const analyser = context.createAnalyser();
    analyser.fftSize = 2048;
    context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    let loudest = 0;
    const until = performance.now() + 2500;
    while (performance.now() < until) {
      analyser.getFloatTimeDomainData(samples);
      for (const s of samples) loudest = Math.max(loudest, Math.abs(s));
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    await context.close();
    return loudest;
  });
}

test("an operator calls a visitor: both hear each other, mute silences, hang-up ends it", async ({ browser }) => {
  const server = await startServer();
  const [op, vera] = [await browse(browser, server.baseURL), await browse(browser, server.baseURL)];
  try {
    const name = await firstLogIn(op.page, server.adminEmail);
    await vera.page.goto("/demo");
    await vera.page.getByTestId("sb-launcher").click();
    await vera.page.getByTestId("sb-name").fill("Vera");
    await vera.page.getByTestId("sb-first-message").fill("Could you call me?");
    await vera.page.getByTestId("sb-start").click();
    await op.page.getByTestId("waiting-list").getByTestId("chat-row").getByTestId("accept").click();
    await expect(op.page).toHaveURL(/\/chats$/);

    // The operator calls from the chat's sidebar; the bubble rings.
    await op.page.getByTestId("call-start").click();
    await expect(op.page.getByTestId("call-state")).toHaveAttribute("data-state", "ringing");
    const ring = vera.page.getByTestId("sb-call");
    await expect(ring).toContainText(`${name} is calling you`);
    await expect(vera.page.getByTestId("sb-messages")).toContainText("started a voice call");
    await vera.page.getByTestId("sb-call-accept").click();

    await expect(op.page.getByTestId("call-state")).toHaveAttribute("data-state", "connected", { timeout: 20_000 });
    await expect(vera.page.getByTestId("sb-call-state")).toHaveAttribute("data-state", "connected", {
      timeout: 20_000,
    });
    expect(await received(op.page), "the operator hears the visitor").toBeGreaterThan(0.01);
    expect(await received(vera.page), "the visitor hears the operator").toBeGreaterThan(0.01);

    // The visitor mutes: the operator hears silence, and is told.
    await vera.page.getByTestId("sb-call-mute").click();
    await expect(vera.page.getByTestId("sb-call-mute")).toHaveAttribute("aria-pressed", "true");
    await expect(op.page.getByTestId("call-state")).toHaveAttribute("data-state", "muted-by-peer");
    await expect.poll(() => received(op.page), { timeout: 15_000 }).toBeLessThan(0.001);
    expect(await received(vera.page), "the visitor still hears the operator").toBeGreaterThan(0.01);

    // The operator hangs up: the call is over on both sides, and the chat says how long it took.
    await op.page.getByTestId("call-hangup").click();
    await expect(op.page.getByTestId("call-bar")).toHaveCount(0);
    await expect(vera.page.getByTestId("sb-call")).toHaveCount(0);
    await expect(vera.page.getByTestId("call-audio")).toHaveCount(0);
    await expect(op.page.getByTestId("call-audio")).toHaveCount(0);
    await expect(vera.page.getByTestId("sb-messages")).toContainText("The voice call ended after");
    await expect(op.page.getByTestId("messages")).toContainText("The voice call ended after");

    expect(op.errors, "console errors in the operator's console").toEqual([]);
    expect(vera.errors, "errors on the visitor's page").toEqual([]);
  } finally {
    await Promise.all([op.context.close(), vera.context.close()]);
    await server.stop();
  }
});

test("a visitor takes up an invitation as a voice chat: the operator calls and the bubble answers", async ({
  browser,
}) => {
  const server = await startServer();
  const [op, vera] = [await browse(browser, server.baseURL), await browse(browser, server.baseURL)];
  try {
    const name = await firstLogIn(op.page, server.adminEmail);
    await op.page.getByTestId("nav-visitors").click();
    await vera.page.goto("/demo");
    const badge = op.page.getByTestId("visitor-badge");
    await expect(badge).toHaveCount(1);
    await badge.click({ button: "right" });
    await op.page.getByTestId("visitor-engage").click();
    await op.page.getByTestId("invitation-send").click();

    await vera.page.getByTestId("sb-invitation-start").click();
    const invited = vera.page.getByTestId("sb-invitation-form");
    await invited.getByTestId("sb-name").fill("Vera");
    await invited.getByTestId("sb-kind-voice").check();
    await invited.getByTestId("sb-open-chat").click();

    // The chat opens with the request on both sides; the bubble waits for the call.
    await expect(vera.page.getByTestId("sb-call-state")).toHaveAttribute("data-state", "requested");
    await expect(vera.page.getByTestId("sb-call")).toContainText(`${name} will call you`);
    await expect(vera.page.getByTestId("sb-messages")).toContainText(
      `You asked for a voice chat: ${name} will call you`
    );
    await op.page.getByTestId("nav-my-chats").click();
    await expect(op.page.getByTestId("messages")).toContainText(`The visitor asked ${name} for a voice chat`);

    // The operator calls; the visitor asked for it, so the bubble takes it without a click.
    await op.page.getByTestId("call-start").click();
    await expect(op.page.getByTestId("call-state")).toHaveAttribute("data-state", "connected", { timeout: 20_000 });
    await expect(vera.page.getByTestId("sb-call-state")).toHaveAttribute("data-state", "connected", {
      timeout: 20_000,
    });
    expect(await received(vera.page), "the visitor hears the operator").toBeGreaterThan(0.01);

    // The visitor hangs up: over on both sides.
    await vera.page.getByTestId("sb-call-hangup").click();
    await expect(vera.page.getByTestId("sb-call")).toHaveCount(0);
    await expect(op.page.getByTestId("call-bar")).toHaveCount(0);
    await expect(op.page.getByTestId("messages")).toContainText("The voice call ended after");

    expect(op.errors, "console errors in the operator's console").toEqual([]);
    expect(vera.errors, "errors on the visitor's page").toEqual([]);
  } finally {
    await Promise.all([op.context.close(), vera.context.close()]);
    await server.stop();
  }
});
