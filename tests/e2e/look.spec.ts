import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './fixtures.ts';
import { TABS } from './names.ts';

// Screenshots of every tab at a phone and a desktop width, in both themes, for people to review
// (test-results/screenshots), and an accessibility check of each tab as it is shown.
for (const colorScheme of ['light', 'dark'] as const) {
  test(`every tab at 360 px and 1280 px in the ${colorScheme} theme: no serious axe violations, no horizontal overflow`, async ({ page, hub }) => {
    void hub; // the Settings tab checks the (fake) hub on start
    await page.emulateMedia({ colorScheme });
    for (const width of [360, 1280]) {
      await page.setViewportSize({ width, height: width === 360 ? 780 : 900 });
      await page.goto('/');
      for (const tab of TABS) {
        await page.getByRole('tab', { name: tab }).click();
        await expect(page.getByRole('tabpanel')).toHaveAttribute('aria-labelledby', `tab-${tab}`);
        await expect(page.getByRole('tabpanel').getByRole('heading', { level: 2 }).first()).toBeVisible();
        await page.screenshot({ path: `test-results/screenshots/${tab.toLowerCase()}-${width}-${colorScheme}.png`, fullPage: true });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${tab} at ${width}px overflows horizontally`).toBeLessThanOrEqual(0);
        const results = await new AxeBuilder({ page }).analyze();
        const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), `${tab} ${width}px ${colorScheme}`).toEqual([]);
      }
    }
  });
}

test('every tab stays reachable by keyboard at 360 px', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 780 });
  await page.goto('/');
  await page.getByRole('tab', { name: 'Generate' }).focus();
  for (const tab of TABS.slice(1)) {
    await page.keyboard.press('ArrowRight');
    const el = page.getByRole('tab', { name: tab });
    await expect(el).toBeFocused();
    await expect(el).toBeInViewport();
  }
});
