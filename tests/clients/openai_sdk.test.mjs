// File: the official OpenAI Node SDK (npm `openai`) against the real solar-control + solar-host
// stack, as a team's application would use it: baseURL pointed at the gateway, the gateway key
// as apiKey. Run by ctest through run.sh (which skips where node is absent).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import OpenAI from 'openai';

import { CHAT_ALIAS, EMBED_ALIAS, GATEWAY_KEY, stack } from './stack.mjs';

const solar = new stack();
let client;

// maxRetries 0: the SDK retries 5xx by default, which would hide what the gateway answered.
function make_client(apiKey) {
    return new OpenAI({ baseURL: `${solar.gateway_url}/v1`, apiKey, maxRetries: 0, timeout: 20000 });
}

before(async () => {
    try {
        await solar.start();
    } catch (error) {
        error.message += `\n${solar.logs()}`;
        throw error;
    }
    client = make_client(GATEWAY_KEY);
});

after(async () => {
    await solar.stop();
});

const chat_request = {
    model: CHAT_ALIAS,
    messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Say hello to the SDK.' },
    ],
    max_tokens: 6,
};

describe('models', () => {
    test('models.list lists both aliases in the OpenAI shape', async () => {
        const ids = [];
        for await (const model of client.models.list()) {
            assert.equal(model.object, 'model');
            assert.equal(typeof model.created, 'number');
            assert.equal(typeof model.owned_by, 'string');
            ids.push(model.id);
        }
        assert.ok(ids.includes(CHAT_ALIAS), `${CHAT_ALIAS} in ${ids}`);
        assert.ok(ids.includes(EMBED_ALIAS), `${EMBED_ALIAS} in ${ids}`);
    });

    test('models.retrieve answers one alias', async () => {
        const model = await client.models.retrieve(CHAT_ALIAS);
        assert.equal(model.id, CHAT_ALIAS);
        assert.equal(model.object, 'model');
    });
});

describe('chat.completions', () => {
    test('create without stream', async () => {
        const { data, response } = await client.chat.completions.create(chat_request).withResponse();
        assert.equal(response.status, 200);
        assert.ok(response.headers.get('x-request-id'), 'the gateway returns a request id');
        assert.equal(data.object, 'chat.completion');
        assert.equal(data.model, CHAT_ALIAS);
        assert.equal(data.choices.length, 1);
        assert.equal(data.choices[0].message.role, 'assistant');
        assert.ok(data.choices[0].message.content.length > 0);
        assert.equal(data.choices[0].finish_reason, 'length');
        assert.equal(data.usage.completion_tokens, 6);
        assert.ok(data.usage.prompt_tokens > 0);
    });

    test('create with stream: true, iterated chunk by chunk', async () => {
        const whole = await client.chat.completions.create(chat_request);
        const stream = await client.chat.completions.create({ ...chat_request, stream: true });
        let text = '';
        let content_chunks = 0;
        let finish_reason = null;
        let chunks = 0;
        for await (const chunk of stream) {
            chunks += 1;
            assert.equal(chunk.object, 'chat.completion.chunk');
            assert.equal(chunk.model, CHAT_ALIAS);
            const choice = chunk.choices[0];
            if (!choice) continue;  // a usage-only chunk
            if (choice.delta?.content) {
                content_chunks += 1;
                text += choice.delta.content;
            }
            if (choice.finish_reason) finish_reason = choice.finish_reason;
        }
        assert.ok(chunks >= 3, `${chunks} chunks`);
        assert.ok(content_chunks >= 2, `${content_chunks} content chunks: relayed, not collapsed`);
        assert.equal(finish_reason, 'length');
        // The stand-in's pseudo-model is deterministic: streamed text equals the whole answer.
        assert.equal(text, whole.choices[0].message.content);
    });
});

describe('completions', () => {
    const request = { model: CHAT_ALIAS, prompt: 'Once upon a time', max_tokens: 5 };

    test('create without stream', async () => {
        const completion = await client.completions.create(request);
        assert.equal(completion.object, 'text_completion');
        assert.equal(completion.model, CHAT_ALIAS);
        assert.ok(completion.choices[0].text.length > 0);
        assert.equal(completion.choices[0].finish_reason, 'length');
        assert.equal(completion.usage.completion_tokens, 5);
    });

    test('create with stream: true', async () => {
        const whole = await client.completions.create(request);
        const stream = await client.completions.create({ ...request, stream: true });
        let text = '';
        let chunks = 0;
        let finish_reason = null;
        for await (const chunk of stream) {
            chunks += 1;
            const choice = chunk.choices[0];
            if (!choice) continue;
            text += choice.text ?? '';
            if (choice.finish_reason) finish_reason = choice.finish_reason;
        }
        assert.ok(chunks >= 2, `${chunks} chunks`);
        assert.equal(finish_reason, 'length');
        assert.equal(text, whole.choices[0].text);
    });
});

describe('embeddings', () => {
    const input = ['the quick brown fox', 'jumps over the lazy dog'];

    test('float, base64 and the SDK default (base64 decoded by the SDK) agree', async () => {
        const floats = await client.embeddings.create({ model: EMBED_ALIAS, input, encoding_format: 'float' });
        assert.equal(floats.object, 'list');
        assert.equal(floats.model, EMBED_ALIAS);
        assert.equal(floats.data.length, 2);
        for (const [i, item] of floats.data.entries()) {
            assert.equal(item.index, i);
            assert.ok(Array.isArray(item.embedding) && item.embedding.length > 0);
            item.embedding.forEach((x) => assert.equal(typeof x, 'number'));
        }
        assert.notDeepEqual(floats.data[0].embedding, floats.data[1].embedding);

        // Explicit base64: the SDK hands back the instance's strings as they came.
        const base64 = await client.embeddings.create({ model: EMBED_ALIAS, input, encoding_format: 'base64' });
        const direct = await solar.direct(EMBED_ALIAS, '/v1/embeddings', {
            model: EMBED_ALIAS,
            input,
            encoding_format: 'base64',
        });
        assert.equal(direct.status, 200);
        for (const [i, item] of base64.data.entries()) {
            assert.equal(typeof item.embedding, 'string');
            assert.equal(item.embedding, direct.body.data[i].embedding, 'passed through unchanged');
            const bytes = Buffer.from(item.embedding, 'base64');
            const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
            assert.deepEqual(decoded, floats.data[i].embedding.map(Math.fround));
        }

        // No encoding_format: the SDK asks for base64 itself and decodes it to numbers.
        const sdk_default = await client.embeddings.create({ model: EMBED_ALIAS, input });
        for (const [i, item] of sdk_default.data.entries()) {
            assert.deepEqual(item.embedding, floats.data[i].embedding.map(Math.fround));
        }
    });
});

describe('errors map to the SDK error classes', () => {
    test('wrong key: AuthenticationError (401 invalid_api_key)', async () => {
        const wrong = make_client('not-the-gateway-key');
        await assert.rejects(wrong.models.list(), (error) => {
            assert.ok(error instanceof OpenAI.AuthenticationError, error.constructor.name);
            assert.equal(error.status, 401);
            assert.equal(error.code, 'invalid_api_key');
            assert.equal(error.type, 'authentication_error');
            return true;
        });
        await assert.rejects(wrong.chat.completions.create(chat_request), OpenAI.AuthenticationError);
    });

    test('unknown model: NotFoundError (404 model_not_found)', async () => {
        await assert.rejects(
            client.chat.completions.create({ ...chat_request, model: 'no-such-model' }),
            (error) => {
                assert.ok(error instanceof OpenAI.NotFoundError, error.constructor.name);
                assert.equal(error.status, 404);
                assert.equal(error.code, 'model_not_found');
                assert.match(error.message, /no-such-model/);
                return true;
            },
        );
        await assert.rejects(client.models.retrieve('no-such-model'), OpenAI.NotFoundError);
    });

    test('missing model: BadRequestError (400 missing_model)', async () => {
        const { model, ...without_model } = chat_request;
        await assert.rejects(client.chat.completions.create(without_model), (error) => {
            assert.ok(error instanceof OpenAI.BadRequestError, error.constructor.name);
            assert.equal(error.status, 400);
            assert.equal(error.code, 'missing_model');
            return true;
        });
    });

    test('embeddings against a chat-only alias: BadRequestError (400 unsupported_endpoint)', async () => {
        await assert.rejects(client.embeddings.create({ model: CHAT_ALIAS, input: 'x' }), (error) => {
            assert.ok(error instanceof OpenAI.BadRequestError, error.constructor.name);
            assert.equal(error.status, 400);
            assert.equal(error.code, 'unsupported_endpoint');
            return true;
        });
    });

    test("the instance's own 400 passes through as BadRequestError", async () => {
        await assert.rejects(
            client.embeddings.create({ model: EMBED_ALIAS, input: 'x', encoding_format: 'hex' }),
            (error) => {
                assert.ok(error instanceof OpenAI.BadRequestError, error.constructor.name);
                assert.equal(error.status, 400);
                assert.equal(error.type, 'invalid_request_error');
                return true;
            },
        );
    });
});
