/*
 * Handlebars templates of the pages. `{{x}}` escapes; the only unescaped inserts (`{{{...}}}`) are the
 * rendered page inside the layout and the chart, which is built from numbers alone.
 */

const csrf = '<input type="hidden" name="_csrf" value="{{@root.csrfToken}}">';

export const LayoutTemplate = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} · Loomio workers</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/dashboard.js" defer></script>
</head>
<body>
<header>
  <span class="brand">Loomio workers</span>
  <nav>
    {{#each nav}}<a href="{{href}}"{{#if active}} class="active" aria-current="page"{{/if}}>{{label}}</a>{{/each}}
  </nav>
  {{#if user}}
  <form method="post" action="/logout" class="logout">${csrf}<span>{{user}}</span> <button type="submit">Log out</button></form>
  {{/if}}
</header>
<main>
  <h1>{{title}}</h1>
  {{#if flash}}<p class="flash {{flash.kind}}" role="status">{{flash.text}}</p>{{/if}}
  {{{content}}}
</main>
</body>
</html>`;

export const LoginTemplate = `<form method="post" action="/login" class="login">
  <input type="hidden" name="_csrf" value="{{loginToken}}">
  <input type="hidden" name="next" value="{{next}}">
  {{#if error}}<p class="flash error" role="alert">{{error}}</p>{{/if}}
  <label>User <input name="user" autocomplete="username" required autofocus></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Log in</button>
</form>`;

export const OverviewTemplate = `<section class="cards">
  <div class="card"><b>{{lastHour.processed}}</b><span>processed, last hour</span></div>
  <div class="card failed"><b>{{lastHour.failed}}</b><span>failed, last hour</span></div>
  <div class="card"><b>{{busy}} / {{slots}}</b><span>busy slots ({{workers}} workers)</span></div>
  <div class="card"><b>{{queued}}</b><span>jobs queued</span></div>
  <div class="card"><a href="/scheduled"><b>{{scheduled}}</b><span>scheduled</span></a></div>
  <div class="card failed"><a href="/dead"><b>{{dead}}</b><span>dead</span></a></div>
</section>
<h2>Processed <span class="legend processed">━</span> and failed <span class="legend failed">━</span> per minute</h2>
{{{chart}}}
<h2>Totals</h2>
<table>
  <thead><tr><th></th><th>processed</th><th>failed</th><th>retried</th><th>dead</th><th>discarded</th></tr></thead>
  <tbody>
    <tr><th>last hour</th><td>{{lastHour.processed}}</td><td>{{lastHour.failed}}</td><td>{{lastHour.retried}}</td><td>{{lastHour.dead}}</td><td>{{lastHour.discarded}}</td></tr>
    <tr><th>since the running workers started</th><td>{{sinceWorkersStarted.processed}}</td><td>{{sinceWorkersStarted.failed}}</td><td>{{sinceWorkersStarted.retried}}</td><td>{{sinceWorkersStarted.dead}}</td><td>{{sinceWorkersStarted.discarded}}</td></tr>
  </tbody>
</table>
<h2>Last hour by subject</h2>
<table>
  <thead><tr><th>subject</th><th>processed</th><th>failed</th><th>retried</th><th>dead</th><th>discarded</th></tr></thead>
  <tbody>
  {{#each bySubject}}<tr><td><code>{{subject}}</code></td><td>{{counts.processed}}</td><td>{{counts.failed}}</td><td>{{counts.retried}}</td><td>{{counts.dead}}</td><td>{{counts.discarded}}</td></tr>
  {{else}}<tr><td colspan="6" class="empty">No job finished in the last hour (or since the dashboard started).</td></tr>{{/each}}
  </tbody>
</table>`;

export const StreamsTemplate = `<table>
  <thead><tr><th>stream</th><th>subjects</th><th>retention</th><th>messages</th><th>size</th><th>first seq</th><th>last seq</th><th>consumers</th></tr></thead>
  <tbody>
  {{#each streams}}<tr><td><b>{{name}}</b></td><td><code>{{join subjects}}</code></td><td>{{retention}}</td><td>{{messages}}</td><td>{{bytes bytes}}</td><td>{{firstSeq}}</td><td>{{lastSeq}}</td><td>{{consumers}}</td></tr>
  {{else}}<tr><td colspan="8" class="empty">No stream yet: no service has started on this NATS.</td></tr>{{/each}}
  </tbody>
</table>
<h2>Consumers</h2>
<table>
  <thead><tr><th>stream</th><th>consumer</th><th>subject</th><th>pending</th><th>in flight</th><th>redelivered</th><th>waiting pulls</th><th>max ack pending</th><th>max deliver</th><th>rate / min (5 min)</th></tr></thead>
  <tbody>
  {{#each consumers}}<tr><td>{{stream}}</td><td><code>{{name}}</code></td><td><code>{{filterSubject}}</code></td><td class="{{#if pending}}warn{{/if}}">{{pending}}</td><td>{{inFlight}}</td><td>{{redelivered}}</td><td>{{waiting}}</td><td>{{maxAckPending}}</td><td>{{maxDeliver}}</td><td>{{ratePerMinute}}</td></tr>
  {{else}}<tr><td colspan="10" class="empty">No consumers.</td></tr>{{/each}}
  </tbody>
</table>`;

export const WorkersTemplate = `<table>
  <thead><tr><th>app</th><th>host</th><th>pid</th><th>version</th><th>busy</th><th>buffered</th><th>started</th><th>last heartbeat</th></tr></thead>
  <tbody>
  {{#each workers}}
  <tr class="worker"><td><b>{{app}}</b></td><td>{{host}}</td><td>{{pid}}</td><td>{{version}}</td><td>{{inFlight}} / {{slots}}</td><td>{{waiting}}</td><td title="{{time startedAt}}">{{ago startedAt}}</td><td title="{{time beatAt}}">{{ago beatAt}}</td></tr>
  {{#each jobs}}<tr class="job"><td></td><td colspan="3"><code>{{subject}}</code></td><td colspan="2"><code>{{jobId}}</code></td><td colspan="2">running for {{duration runningForMs}}</td></tr>{{/each}}
  {{else}}<tr><td colspan="8" class="empty">No worker has sent a heartbeat recently.</td></tr>{{/each}}
  </tbody>
</table>`;

export const ScheduledTemplate = `<p>{{#if retriesOnly}}{{total}} failed job(s) waiting out their backoff before the next attempt{{else}}{{total}} job(s) waiting for their time{{/if}} in <code>outbox_messages</code>; the scheduler's relay publishes each when due.{{#if retriesOnly}} Short backoffs stay in NATS and are not listed here.{{/if}}</p>
<table>
  <thead><tr><th>due</th><th>subject</th><th>kind</th><th>payload</th><th>created</th><th></th></tr></thead>
  <tbody>
  {{#each jobs}}<tr>
    <td title="{{time deliverAt}}">{{ago deliverAt}}</td>
    <td><code>{{subject}}</code></td>
    <td>{{kind}}{{#if attemptsSpent}} (after attempt {{attemptsSpent}}){{/if}}{{#if lastError}}<br><small class="error">relay: {{lastError}}</small>{{/if}}</td>
    <td><pre class="payload">{{json payload}}</pre></td>
    <td>{{time createdAt}}</td>
    <td class="actions">
      <form method="post" action="/scheduled/{{id}}/run">${csrf}<input type="hidden" name="back" value="{{@root.path}}"><button type="submit">Run now</button></form>
      <form method="post" action="/scheduled/{{id}}/delete" data-confirm="Delete this scheduled job? It will never run.">${csrf}<input type="hidden" name="back" value="{{@root.path}}"><button type="submit" class="danger">Delete</button></form>
    </td>
  </tr>
  {{else}}<tr><td colspan="6" class="empty">{{#if retriesOnly}}No retry waiting.{{else}}Nothing scheduled.{{/if}}</td></tr>{{/each}}
  </tbody>
</table>
{{#if nextOffset}}<p><a href="{{path}}?offset={{nextOffset}}">Later jobs →</a></p>{{/if}}`;

export const DeadTemplate = `<form method="get" action="/dead" class="filter">
  <label>Subject <input name="subject" value="{{subject}}" placeholder="jobs.notifier.* (wildcards allowed)"></label>
  <button type="submit">Filter</button>
</form>
<p>{{count}} dead letter(s){{#if subject}} matching <code>{{subject}}</code>{{/if}}.</p>
{{#if letters.length}}
<div class="bulk">
  <form method="post" action="/dead/retry-all" data-confirm="Retry every dead letter{{#if subject}} matching {{subject}}{{/if}}?">${csrf}<input type="hidden" name="subject" value="{{subject}}"><button type="submit">Retry all{{#if subject}} matching{{/if}}</button></form>
</div>
{{/if}}
<table>
  <thead><tr><th>seq</th><th>subject</th><th>error</th><th>reason</th><th>attempts</th><th>service</th><th>failed</th><th></th></tr></thead>
  <tbody>
  {{#each letters}}<tr data-seq="{{seq}}">
    <td><a href="/dead/{{seq}}">{{seq}}</a></td>
    <td><code>{{subject}}</code></td>
    <td class="error">{{truncate error 160}}</td>
    <td>{{reason}}</td>
    <td>{{attempts}}</td>
    <td>{{service}}</td>
    <td title="{{time failedAt}}">{{ago failedAt}}</td>
    <td class="actions">
      <form method="post" action="/dead/{{seq}}/retry">${csrf}<button type="submit">Retry</button></form>
      <form method="post" action="/dead/{{seq}}/delete" data-confirm="Delete dead letter {{seq}} for good?">${csrf}<button type="submit" class="danger">Delete</button></form>
    </td>
  </tr>
  {{else}}<tr><td colspan="8" class="empty">No dead letters. </td></tr>{{/each}}
  </tbody>
</table>
{{#if nextSeq}}<p><a href="/dead?subject={{subject}}&amp;from={{nextSeq}}">Next page →</a></p>{{/if}}`;

export const DeadLetterTemplate = `<p><a href="/dead">← all dead letters</a></p>
<dl class="facts">
  <dt>subject</dt><dd><code>{{subject}}</code></dd>
  <dt>job id</dt><dd><a href="/jobs?id={{uri id}}"><code>{{id}}</code></a></dd>
  <dt>reason</dt><dd>{{reason}}</dd>
  <dt>error</dt><dd class="error">{{error}}</dd>
  <dt>attempts</dt><dd>{{attempts}}</dd>
  <dt>service / consumer</dt><dd>{{service}} / <code>{{consumer}}</code></dd>
  <dt>failed</dt><dd>{{time failedAt}}</dd>
  <dt>stored in DLQ</dt><dd>{{time storedAt}} (seq {{seq}}, <code>{{deadLetterSubject}}</code>)</dd>
</dl>
<div class="bulk">
  <form method="post" action="/dead/{{seq}}/retry">${csrf}<button type="submit">Retry</button></form>
  <form method="post" action="/dead/{{seq}}/delete" data-confirm="Delete dead letter {{seq}} for good?">${csrf}<button type="submit" class="danger">Delete</button></form>
</div>
<h2>Payload <small>(personal and secret-looking fields masked)</small></h2>
<pre class="payload">{{json body.value}}</pre>
<h2>Headers</h2>
<table>
  <tbody>{{#each headers}}<tr><th>{{@key}}</th><td><pre>{{join this}}</pre></td></tr>{{/each}}</tbody>
</table>`;

export const CronTemplate = `<table>
  <thead><tr><th>name</th><th>schedule</th><th>subject</th><th>last run</th><th>next run</th><th></th></tr></thead>
  <tbody>
  {{#each entries}}<tr data-cron="{{name}}">
    <td><b>{{name}}</b><br><small>{{description}}</small></td>
    <td><code>{{schedule}}</code> {{timeZone}}</td>
    <td><code>{{subject}}</code></td>
    <td class="last-run" title="{{time lastRun}}">{{#if lastRun}}{{ago lastRun}}{{else}}never{{/if}}</td>
    <td>{{#if paused}}<span class="warn">paused</span>{{else}}<span title="{{time nextRun}}">{{ago nextRun}}</span>{{/if}}</td>
    <td class="actions">
      <form method="post" action="/cron/{{name}}/run">${csrf}<button type="submit">Run now</button></form>
      {{#if paused}}<form method="post" action="/cron/{{name}}/resume">${csrf}<button type="submit">Resume</button></form>
      {{else}}<form method="post" action="/cron/{{name}}/pause">${csrf}<button type="submit" class="danger">Pause</button></form>{{/if}}
    </td>
  </tr>{{/each}}
  </tbody>
</table>`;

export const RateLimitsTemplate = `<p>Keys paused for every worker of every replica (a handler called <code>ctx.pauseKey</code>, e.g. after an HTTP 429 with Retry-After). Their jobs wait without spending attempts and start again, at their rate, when the pause ends or is resumed here.</p>
<table>
  <thead><tr><th>consumer</th><th>subject</th><th>key</th><th>paused</th><th>until</th><th>reason</th><th>slots in use</th><th></th></tr></thead>
  <tbody>
  {{#each paused}}<tr data-pause="{{id}}">
    <td><code>{{consumer}}</code></td>
    <td><code>{{subject}}</code></td>
    <td class="key"><code>{{key}}</code></td>
    <td title="{{time pausedAt}}">{{ago pausedAt}}</td>
    <td class="until">{{time until}}<br><small>{{ago until}}</small></td>
    <td>{{reason}}</td>
    <td>{{slotsInUse}}</td>
    <td class="actions">
      <form method="post" action="/rate-limits/{{id}}/resume" data-confirm="Resume {{key}} now, for every worker?">${csrf}<button type="submit">Resume</button></form>
    </td>
  </tr>
  {{else}}<tr><td colspan="8" class="empty">No key is paused.</td></tr>{{/each}}
  </tbody>
</table>
<h2>Concurrency slots in use</h2>
<p>Jobs of <code>concurrencyPerKey</code> subjects running now, per key, on every replica. A crashed worker's slots expire with their lease.</p>
<table>
  <thead><tr><th>consumer</th><th>key</th><th>slots in use</th></tr></thead>
  <tbody>
  {{#each slots}}<tr class="slot"><td><code>{{consumer}}</code></td><td><code>{{key}}</code></td><td>{{holders}}</td></tr>
  {{else}}<tr><td colspan="3" class="empty">No slot in use.</td></tr>{{/each}}
  </tbody>
</table>`;

export const JobsTemplate = `<form method="get" action="/jobs" class="filter">
  <label>Job id <input name="id" value="{{id}}" placeholder="the id enqueue returned" required></label>
  <button type="submit">Look up</button>
</form>
{{#if notFound}}<p class="flash error" role="alert">{{notFound}}</p>{{/if}}
{{#if job}}
<dl class="facts job-status">
  <dt>job id</dt><dd><code>{{job.id}}</code></dd>
  <dt>subject</dt><dd><code>{{job.subject}}</code></dd>
  <dt>state</dt><dd class="state"><b>{{job.state}}</b></dd>
  <dt>attempt</dt><dd class="attempt">{{job.attempt}}</dd>
  <dt>enqueued</dt><dd>{{time job.enqueuedAt}}</dd>
  {{#if job.scheduledFor}}<dt>scheduled for</dt><dd>{{time job.scheduledFor}}</dd>{{/if}}
  <dt>started</dt><dd>{{time job.startedAt}}</dd>
  <dt>finished</dt><dd>{{time job.finishedAt}}</dd>
  {{#if job.nextAttemptAt}}<dt>next attempt</dt><dd>{{time job.nextAttemptAt}} ({{ago job.nextAttemptAt}})</dd>{{/if}}
  <dt>duration</dt><dd>{{duration job.durationMs}}</dd>
  <dt>last error</dt><dd class="error">{{job.lastError}}</dd>
  <dt>updated</dt><dd>{{time job.updatedAt}}</dd>
</dl>
{{/if}}
<p><small>States are kept for 7 days after a job's last change; subjects with <code>trackStatus: false</code> keep none.</small></p>`;

export const ErrorTemplate = `<p class="flash error">{{message}}</p><p><a href="/">Back to the overview</a></p>`;
