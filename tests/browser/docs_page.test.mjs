// Browser test of solar-control's /docs page: starts a real solar-control on 127.0.0.1, opens
// /docs in headless Debian Chromium (driven by playwright-core, no downloaded browser), runs
// GET /v1/models from the page without a key (401), then clicks Authorize, enters the key and
// runs it again (200, the model list on the page). Every request the page makes must go to
// the daemon itself (no CDN).
//
// Usage: node docs_page.test.mjs --control PATH/solar-control [--chromium /usr/bin/chromium]
//        [--screenshot FILE]
// Exit status: 0 passed, 1 failed, 77 skipped (no chromium or playwright-core; ctest's
// SKIP_RETURN_CODE), with the reason on stderr.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SKIP = 77;

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const controlBin = option("--control");
const chromiumPath = option("--chromium", "/usr/bin/chromium");
const screenshot = option("--screenshot");

if (!controlBin || !existsSync(controlBin)) {
  console.error(`docs page test: solar-control binary not found (${controlBin})`);
  process.exit(1);
}
if (!existsSync(chromiumPath)) {
  console.error(`SKIP: ${chromiumPath} not found (apt-get install chromium; scripts/install-deps.sh)`);
  process.exit(SKIP);
}
let chromium;
try {
  ({ chromium } = await import("playwright-core"));
} catch (e) {
  console.error("SKIP: playwright-core is not installed (npm ci --prefix tests/browser)");
  process.exit(SKIP);
}

const work = mkdtempSync(join(tmpdir(), "solar-docs-test-"));
const apiKey = "docs-test-" + randomBytes(12).toString("hex");
let control;
let context;

// Starts solar-control on a free port; resolves with the port from its "listening on" line.
function startControl() {
  const envFile = join(work, "empty.env");
  writeFileSync(envFile, "");
  control = spawn(
    controlBin,
    ["--host", "127.0.0.1", "--port", "0", "--data-dir", join(work, "data"),
     "--api-key", apiKey, "--env-file", envFile, "--refresh-interval-ms", "60000"],
    { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error("no 'listening on' line in 20 s:\n" + output)), 20000);
    const onData = (chunk) => {
      output += chunk;
      const match = output.match(/listening on 127\.0\.0\.1:(\d+)/);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    control.stdout.on("data", onData);
    control.stderr.on("data", onData);
    control.on("exit", (code) => reject(new Error(`solar-control exited (${code}):\n${output}`)));
  });
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

// Runs GET /v1/models from its operation block; returns the status and body the page shows.
async function executeListModels(page, operation) {
  const tryIt = operation.locator("button.try-out__btn");
  if ((await tryIt.textContent()).trim() === "Try it out") await tryIt.click();
  // The answer looked at must be this execution's, not the previous one's.
  const clear = operation.locator("button.btn-clear");
  if (await clear.count()) await clear.click();
  await operation.locator("button.execute").click();
  const response = operation.locator(".live-responses-table tbody .response").first();
  await response.waitFor({ timeout: 15000 });
  const status = (await response.locator(".response-col_status").textContent()).trim();
  const body = await response.locator(".response-col_description .highlight-code pre").first().textContent();
  const curl = await operation.locator(".curl-command").textContent().catch(() => "");
  return { status, body, curl };
}

async function main() {
  const port = await startControl();
  const origin = `http://127.0.0.1:${port}`;
  // Flags from /work/.library/env/machines/cpp.md: without the background-networking ones,
  // Chromium keeps trying Google's hosts on this closed network.
  context = await chromium.launchPersistentContext(join(work, "profile"), {
    executablePath: chromiumPath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const foreign = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(origin + "/") && !request.url().startsWith("data:"))
      foreign.push(request.url());
  });
  const consoleErrors = [];
  page.on("pageerror", (error) => consoleErrors.push(String(error)));

  const docs = await page.goto(origin + "/docs");
  check(docs.status() === 200, `/docs answered ${docs.status()}`);
  await page.locator(".swagger-ui .info .title").waitFor({ timeout: 20000 });
  const title = (await page.locator(".swagger-ui .info .title").textContent()).trim();
  check(title.startsWith("solar-control"), `page title is '${title}'`);

  const operation = page.locator(".opblock.opblock-get").filter({
    has: page.locator('.opblock-summary-path[data-path="/v1/models"]'),
  });
  check((await operation.count()) === 1, "no single GET /v1/models operation on the page");
  await operation.locator(".opblock-summary").first().click();

  const before = await executeListModels(page, operation);
  check(before.status === "401", `without a key GET /v1/models showed ${before.status}`);
  check(before.body.includes("invalid_api_key"), `401 body: ${before.body}`);

  await page.locator(".auth-wrapper button.authorize").click();
  const scheme = page.locator(".modal-ux .auth-container").filter({ hasText: "ApiKeyHeader" });
  await scheme.locator("input").first().fill(apiKey);
  await scheme.locator("button.authorize").click();
  await scheme.getByText("Authorized").first().waitFor({ timeout: 5000 });
  await page.locator(".modal-ux button.btn-done").first().click();

  const after = await executeListModels(page, operation);
  check(after.status === "200", `after Authorize GET /v1/models showed ${after.status}: ${after.body}`);
  const models = JSON.parse(after.body);
  check(models.object === "list" && Array.isArray(models.data), `200 body: ${after.body}`);
  check(after.curl.includes(`X-API-Key: ${apiKey}`), `the request did not carry the key: ${after.curl}`);

  if (screenshot) {
    await operation.locator(".live-responses-table").scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshot });
  }
  check(foreign.length === 0, `the page fetched from elsewhere: ${foreign.join(", ")}`);
  check(consoleErrors.length === 0, `page errors: ${consoleErrors.join("; ")}`);
  console.log(`PASS: /docs on ${origin}: Authorize + GET /v1/models -> 401 before, 200 after`);
}

let status = 0;
try {
  await main();
} catch (e) {
  console.error("FAIL: " + (e.stack ?? e));
  status = 1;
} finally {
  if (context) await context.close().catch(() => {});
  if (control && control.exitCode === null) {
    control.removeAllListeners("exit");
    control.kill("SIGTERM");
    await new Promise((resolve) => control.once("exit", resolve));
  }
  rmSync(work, { recursive: true, force: true });
}
process.exit(status);
