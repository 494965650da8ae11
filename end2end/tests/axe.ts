import AxeBuilder from "@axe-core/playwright";
import { Page } from "@playwright/test";

/** Serious or critical axe-core findings on the page as it is now (WCAG 2 A and AA). */
export async function axeFindings(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}
