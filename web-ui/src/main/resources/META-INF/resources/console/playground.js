// The playground: a chat with one model through the OpenAI-compatible API, each reply streamed into the
// transcript as the worker writes it (fetch and a ReadableStream: EventSource cannot POST), with its token counts
// and rate. The session cookie signs the calls in, so each POST carries the session's CSRF token.
import {api, artifactLink, el, errorBox, fmtNumber, nav, param, problemError, runLink, session, shortDigest,
  toLogin} from './console.js';

nav('playground');
const me = await session();

const model = document.getElementById('model');
const system = document.getElementById('system');
const message = document.getElementById('message');
const transcript = document.getElementById('transcript');
const send = document.getElementById('send');
const stop = document.getElementById('stop');
const errorSlot = document.getElementById('error');
/** The request's sampling fields and the inputs they are read from, so that a refusal marks the one it names. */
const SAMPLING = {temperature: 'temperature', top_p: 'top-p', max_tokens: 'max-tokens', seed: 'seed'};
const FIELD_INPUTS = {...SAMPLING, model: 'model', messages: 'message'};

/** The conversation so far, {role, content}, the system prompt aside (it is read afresh for each request). */
const history = [];
/** The AbortController of the reply being streamed; null between replies. */
let streaming = null;

async function loadModels() {
  const run = param('run');
  const digest = (param('model') || '').replace(/^sha256:/, '');
  let models = [];
  try {
    models = (await api('/v1/models')).data;
  } catch (e) {
    showError(e);
  }
  // A run id is a model too: the API resolves it to the run's final model, as the run page's link means.
  const options = [];
  if (run) options.push(el('option', {value: run}, `${run} · final model`));
  if (digest && !models.some(m => m.id === digest)) options.push(el('option', {value: digest}, shortDigest(digest)));
  options.push(...models.map(m => el('option', {value: m.id, title: `sha256:${m.id}`},
    `${shortDigest(m.id)} · ${m.stage} of ${m.run}`)));
  if (options.length === 0) options.push(el('option', {value: ''}, 'no model yet: a run that pretrains makes one'));
  model.replaceChildren(...options);
  model.value = run || digest || (models[0] ? models[0].id : '');
  const describe = () => {
    const entry = models.find(m => m.id === model.value);
    document.getElementById('model-note').replaceChildren(entry
      ? el('span', {}, artifactLink(entry.id), ` made by ${entry.stage} of `, runLink(entry.run), ` · team ${entry.owned_by}`)
      : model.value === run ? el('span', {}, 'the final model of ', runLink(run)) : '');
  };
  describe();
  model.addEventListener('change', describe);
}

/** An input's value for the request: a number where it reads as one, else the text for the server to refuse. */
function fieldValue(id) {
  const raw = document.getElementById(id).value.trim();
  if (raw === '') return undefined;
  const number = Number(raw);
  return Number.isFinite(number) ? number : raw;
}

function request(messages) {
  const body = {model: model.value, messages, stream: true, stream_options: {include_usage: true}};
  for (const [field, id] of Object.entries(SAMPLING)) {
    const value = fieldValue(id);
    if (value !== undefined) body[field] = value;
  }
  return body;
}

function emptyNote() {
  return el('p', {class: 'muted empty'}, 'No messages yet: write one below.');
}

/** One turn of the transcript; {@code text} is where a streamed reply's text goes. */
function turn(role, content) {
  transcript.querySelector('.empty')?.remove();
  const text = el('div', {class: 'text'}, content);
  const node = el('div', {class: `turn ${role}`, 'data-role': role},
    el('div', {class: 'who'}, role === 'user' ? me.user : 'model'), text);
  transcript.append(node);
  transcript.scrollTop = transcript.scrollHeight;
  return {node, text};
}

/**
 * The data of each server-sent event of a response body, as it arrives: events end at a blank line, and their
 * {@code data:} lines are joined by newlines.
 */
async function* serverSentEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    while (true) {
      const {value, done} = await reader.read();
      if (done) return;
      buffer = (buffer + value).replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const data = buffer.slice(0, end).split('\n').filter(line => line.startsWith('data:'))
          .map(line => line.slice(5).replace(/^ /, '')).join('\n');
        buffer = buffer.slice(end + 2);
        if (data) yield data;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

async function sendMessage(event) {
  event.preventDefault();
  const content = message.value;
  if (streaming || !content.trim()) return;
  clearError();
  const prompt = system.value.trim();
  const body = request([...(prompt ? [{role: 'system', content: prompt}] : []), ...history, {role: 'user', content}]);
  const asked = turn('user', content);
  const reply = turn('assistant', '');
  reply.node.dataset.state = 'streaming';
  message.value = '';
  streaming = new AbortController();
  const {signal} = streaming;
  setStreaming(true);
  const started = performance.now();
  let text = '';
  let firstText = null;
  let chunks = 0;
  let usage = null;
  let finish = null;
  let ended = false;
  try {
    const response = await fetch('/v1/chat/completions', {method: 'POST', signal,
      headers: {'Content-Type': 'application/json', 'Accept': 'text/event-stream', 'X-CSRF-Token': me.csrfToken},
      body: JSON.stringify(body)});
    if (response.status === 401) return toLogin();
    if (!response.ok) {
      // Refused before any text: the message goes back to the composer, to be sent again once the field is fixed.
      asked.node.remove();
      reply.node.remove();
      if (!transcript.querySelector('.turn')) transcript.replaceChildren(emptyNote());
      message.value = content;
      showError(await problemError(response));
      return;
    }
    for await (const data of serverSentEvents(response.body)) {
      signal.throwIfAborted();   // events already read when Stop was pressed add nothing either
      if (data === '[DONE]') {
        ended = true;
        break;
      }
      const chunk = JSON.parse(data);
      if (chunk.error) throw new Error(`the reply broke off: ${chunk.error.message} (${chunk.error.code})`);
      const choice = chunk.choices && chunk.choices[0];
      const piece = choice && choice.delta && choice.delta.content;
      if (piece) {
        firstText ??= performance.now();
        text += piece;
        chunks++;
        reply.text.textContent = text;
        reply.node.dataset.chunks = String(chunks);
        transcript.scrollTop = transcript.scrollHeight;
      }
      if (choice && choice.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    if (!ended) throw new Error('the stream ended before the reply did');
    reply.node.dataset.state = 'done';
    reply.node.append(stats(usage, finish, started, firstText, performance.now()));
  } catch (e) {
    if (e.name === 'AbortError') {
      reply.node.dataset.state = 'stopped';
      reply.node.append(el('div', {class: 'stats', 'data-stat': 'stopped'},
        `stopped after ${chunks} piece${chunks === 1 ? '' : 's'} of text, ${fmtNumber((performance.now() - started) / 1000)} s`));
    } else {
      reply.node.dataset.state = 'failed';
      showError(e);
    }
  } finally {
    streaming = null;
    setStreaming(false);
  }
  // What the model said is part of the conversation from now on, a stopped reply's beginning included.
  if (reply.node.isConnected && reply.node.dataset.state !== 'failed') {
    history.push({role: 'user', content}, {role: 'assistant', content: text});
  }
}

/** After a reply: its prompt and reply tokens, and the rate from sending the request to its last token. */
function stats(usage, finish, started, firstText, ended) {
  const seconds = (ended - started) / 1000;
  const figure = (stat, value, label) => el('span', {}, el('b', {'data-stat': stat}, value), ` ${label}`);
  return el('div', {class: 'stats'},
    usage ? [figure('prompt-tokens', usage.prompt_tokens, 'prompt tokens'), ' · ',
      figure('reply-tokens', usage.completion_tokens, 'reply tokens'), ' · ',
      figure('tokens-per-second', (usage.completion_tokens / seconds).toFixed(1), 'tokens/s'), ' · '] : '',
    `${fmtNumber(+seconds.toFixed(3))} s`,
    firstText !== null ? `, first text after ${Math.round(firstText - started)} ms` : '',
    finish ? el('span', {}, ' · finished: ', el('span', {'data-stat': 'finish-reason'}, finish),
      finish === 'length' ? ' (max_tokens or the context)' : '') : '');
}

function setStreaming(on) {
  send.disabled = on;
  stop.disabled = !on;
}

function showError(error) {
  errorSlot.replaceChildren(errorBox(error));
  for (const f of (error.problem && error.problem.errors) || []) {
    const id = FIELD_INPUTS[f.field.split(/[.[]/)[0]];
    if (id) document.getElementById(id).setAttribute('aria-invalid', 'true');
  }
}

function clearError() {
  errorSlot.replaceChildren();
  document.querySelectorAll('[aria-invalid]').forEach(input => input.removeAttribute('aria-invalid'));
}

document.getElementById('composer').addEventListener('submit', sendMessage);
message.addEventListener('keydown', e => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) document.getElementById('composer').requestSubmit();
});
stop.addEventListener('click', () => streaming && streaming.abort());
document.getElementById('clear').addEventListener('click', () => {
  if (streaming) streaming.abort();
  history.length = 0;
  clearError();
  transcript.replaceChildren(emptyNote());
});
document.getElementById('settings').addEventListener('submit', e => e.preventDefault());

await loadModels();
