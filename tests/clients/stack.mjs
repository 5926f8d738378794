// File: starts the real stack on loopback for the client tests, and tears it down.
// solar-host (pointed at the llama-server stand-in) with a chat and an embeddings instance,
// solar-control in front of it with the host registered through POST /hosts. Every daemon
// binds port 0 and reports its port in its "listening on" log line; state lives in a temp dir.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const GATEWAY_KEY = 'gateway-key-for-sdk-tests';
const HOST_KEY = 'host-key-for-sdk-tests';
const INSTANCE_KEY = 'instance-key-for-sdk-tests';
export const CHAT_ALIAS = 'tiny-chat:1m';
export const EMBED_ALIAS = 'tiny-embed:1m';

// Reads a required path from the environment (ctest sets them; see tests/CMakeLists.txt).
function required_env(name) {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run this test through ctest`);
    return value;
}

// Polls `probe` until it returns a truthy value or `timeout_ms` passes; returns the value.
export async function wait_for(what, probe, timeout_ms = 20000) {
    const deadline = Date.now() + timeout_ms;
    let last_error;
    while (Date.now() < deadline) {
        try {
            const value = await probe();
            if (value) return value;
        } catch (error) {
            last_error = error;
        }
        await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}${last_error ? `: ${last_error.message}` : ''}`);
}

// util-linux's setpriv gives a daemon PR_SET_PDEATHSIG: it is killed even when this process
// is (a ctest timeout sends SIGKILL, which no exit handler sees).
const pdeathsig_prefix = existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--'] : [];

// One daemon process: output goes to a log file, which is read for its "listening on" line.
class daemon {
    constructor(name, argv, env, log_path) {
        this.name = name;
        this.log_path = log_path;
        const log = openSync(log_path, 'a');
        const full = [...pdeathsig_prefix, ...argv];
        this.child = spawn(full[0], full.slice(1), { env, stdio: ['ignore', log, log] });
        closeSync(log);  // the child holds its own copy
        this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
        this.exit_status = null;
        this.exited.then((status) => (this.exit_status = status));
    }

    log() {
        try {
            return readFileSync(this.log_path, 'utf8');
        } catch {
            return '';
        }
    }

    async port() {
        const match = await wait_for(`${this.name} to listen`, () => {
            if (this.exit_status) throw new Error(`${this.name} exited: ${JSON.stringify(this.exit_status)}`);
            return this.log().match(/listening on 127\.0\.0\.1:(\d+)/);
        });
        return Number(match[1]);
    }

    // SIGTERM, then SIGKILL if it is still there after `grace_ms`.
    async stop(grace_ms = 15000) {
        if (this.exit_status) return this.exit_status;
        this.child.kill('SIGTERM');
        let timer;
        const timeout = new Promise((resolve) => (timer = setTimeout(resolve, grace_ms, 'timeout')));
        const outcome = await Promise.race([this.exited, timeout]);
        clearTimeout(timer);  // a pending timer would keep the test process alive
        if (outcome === 'timeout') {
            this.child.kill('SIGKILL');
            await this.exited;
        }
        return this.exit_status;
    }

    kill_now() {
        if (!this.exit_status) this.child.kill('SIGKILL');
    }
}

// A JSON request to one of the daemons; answers {status, body}.
async function call(base, key, method, path, body) {
    const response = await fetch(base + path, {
        method,
        headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed = text;
    try {
        parsed = JSON.parse(text);
    } catch {}
    return { status: response.status, body: parsed };
}

function expect_status(what, answer, status) {
    if (answer.status !== status) {
        throw new Error(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return answer.body;
}

export class stack {
    constructor() {
        this.dir = mkdtempSync(join(tmpdir(), 'solar-sdk-'));
        this.daemons = [];
        this.instance_pids = [];
        // Last resort if the test runner itself dies: no daemon may outlive it. solar-host's
        // children follow it through PR_SET_PDEATHSIG.
        this.on_exit = () => this.daemons.forEach((d) => d.kill_now());
        process.on('exit', this.on_exit);
        for (const signal of ['SIGINT', 'SIGTERM']) {
            process.once(signal, () => {
                this.on_exit();
                process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
            });
        }
    }

    async start() {
        const env_file = join(this.dir, 'empty.env');
        writeFileSync(env_file, '');
        const model = join(this.dir, 'tiny.gguf');
        symlinkSync(required_env('SOLAR_GGUF_FIXTURE'), model);

        const host = new daemon(
            'solar-host',
            [
                required_env('SOLAR_HOST_BIN'),
                '--host', '127.0.0.1', '--port', '0',
                '--data-dir', join(this.dir, 'host'),
                '--env-file', env_file,
                '--api-key', HOST_KEY,
                '--llama-server-path', required_env('SOLAR_LLAMA_STANDIN_BIN'),
                '--stop-grace-s', '3',
            ],
            process.env,
            join(this.dir, 'solar-host.log'),
        );
        this.daemons.push(host);
        this.host_url = `http://127.0.0.1:${await host.port()}`;

        const configs = [
            { backend_type: 'llamacpp', model, alias: CHAT_ALIAS, api_key: INSTANCE_KEY, ctx_size: 2048 },
            // The tiny model's own pooling (none) is not OpenAI-compatible: ask for mean.
            { backend_type: 'llamacpp', model, alias: EMBED_ALIAS, api_key: INSTANCE_KEY, ctx_size: 2048, embeddings: true, pooling: 'mean' },
        ];
        this.instances = {};
        for (const config of configs) {
            const created = expect_status(
                'POST /instances',
                await call(this.host_url, HOST_KEY, 'POST', '/instances', { config }),
                201,
            );
            await call(this.host_url, HOST_KEY, 'POST', `/instances/${created.id}/start`);
            const running = await wait_for(`${config.alias} to run`, async () => {
                const now = await call(this.host_url, HOST_KEY, 'GET', `/instances/${created.id}`);
                if (now.body.status === 'failed') throw new Error(now.body.error_message);
                return now.body.status === 'running' && now.body;
            });
            this.instances[config.alias] = running;
            this.instance_pids.push(running.pid);
        }

        const control = new daemon(
            'solar-control',
            [
                required_env('SOLAR_CONTROL_BIN'),
                '--host', '127.0.0.1', '--port', '0',
                '--data-dir', join(this.dir, 'control'),
                '--env-file', env_file,
                '--api-key', GATEWAY_KEY,
                '--refresh-interval-ms', '500',
            ],
            process.env,
            join(this.dir, 'solar-control.log'),
        );
        this.daemons.push(control);
        this.gateway_url = `http://127.0.0.1:${await control.port()}`;
        expect_status(
            'POST /hosts',
            await call(this.gateway_url, GATEWAY_KEY, 'POST', '/hosts', {
                name: 'sdk-test-host',
                url: this.host_url,
                api_key: HOST_KEY,
            }),
            201,
        );
        await wait_for('both aliases in /v1/models', async () => {
            const models = await call(this.gateway_url, GATEWAY_KEY, 'GET', '/v1/models');
            const ids = (models.body.data ?? []).map((m) => m.id);
            return ids.includes(CHAT_ALIAS) && ids.includes(EMBED_ALIAS);
        });
    }

    // The instance's own answer, bypassing the gateway (to compare pass-through bytes).
    async direct(alias, path, body) {
        const response = await fetch(`http://127.0.0.1:${this.instances[alias].port}${path}`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${INSTANCE_KEY}`, 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
        });
        return { status: response.status, body: await response.json() };
    }

    logs() {
        return this.daemons.map((d) => `--- ${d.name} (${d.log_path})\n${d.log().slice(-4000)}`).join('\n');
    }

    // Stops the gateway, then the host (which stops its instances); then checks that no
    // instance process is left, killing any that is. Throws if something had to be killed.
    async stop() {
        const problems = [];
        for (const d of [...this.daemons].reverse()) {
            const status = await d.stop();
            if (status.signal === 'SIGKILL') problems.push(`${d.name} needed SIGKILL`);
        }
        process.off('exit', this.on_exit);
        for (const pid of this.instance_pids) {
            try {
                process.kill(pid, 0);
            } catch {
                continue;  // gone, as it should be
            }
            try {
                process.kill(pid, 'SIGKILL');
            } catch {}
            problems.push(`instance process ${pid} outlived solar-host`);
        }
        if (problems.length === 0 && !process.env.SOLAR_KEEP_TMP) {
            rmSync(this.dir, { recursive: true, force: true });
        }
        if (problems.length) throw new Error(`${problems.join('; ')}\n${this.logs()}`);
    }
}
