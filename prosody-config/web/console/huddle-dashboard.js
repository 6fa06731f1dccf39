/*
 * The live supervisor dashboard ("Floor") of the staff console: a Converse.js
 * plugin. It reads the support floor from Huddle's `floor` PubSub node on the
 * service (docs/floor-feed.md) over Converse's own connection, and renders each
 * snapshot it is sent: the queue, the active chats, the agents, today's figures,
 * two charts and the alerts. "Supervise" and "Take over" open a chat right here.
 *
 * Reached from the "Floor" button at the top of the control box, or directly
 * at console/#floor. The panel covers the chat area (the control box stays);
 * opening any chat closes it.
 *
 * Everything in a snapshot that a visitor typed (names, questions, pages) is
 * untrusted: it is rendered only through Lit templates, which set it as text.
 */

const NS_PUBSUB = "http://jabber.org/protocol/pubsub";
const NS_PUBSUB_EVENT = `${NS_PUBSUB}#event`;
const NS_JSON = "urn:xmpp:json:0";
const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const NODE = "floor";
// Subscriptions last dashboard.subscription_seconds (120 by default): renew at half.
const RENEW_MS = 60_000;
const IQ_TIMEOUT_MS = 20_000;
const JOIN_TIMEOUT_MS = 30_000;
const HASH = "#floor";
const UPLOT = new URL("../uplot/", import.meta.url);

const AVAILABILITY = {
    available: "Available",
    chat: "Free to chat",
    away: "Away",
    xa: "Away (long)",
    dnd: "Busy",
    offline: "Offline",
};
// What an error from the service means for the dashboard (docs/floor-feed.md).
const PROBLEMS = {
    "remote-server-timeout": "the support service is not connected",
    "remote-server-not-found": "the support service is not connected",
    "service-unavailable": "the support service has no floor feed",
    "feature-not-implemented": "the support service has no floor feed",
    "item-not-found": "the support service has no floor feed",
    "bad-request": "it refused the subscription as malformed",
};
const ALERT_KINDS = {
    waiting: "Waiting for an agent",
    first_response: "No first response",
    unanswered: "Visitor unanswered",
};

/** "m:ss", or "h:mm:ss" from an hour on; "—" for no value. */
export function formatDuration(seconds) {
    if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
    const whole = Math.max(0, Math.floor(seconds));
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    const s = String(whole % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

const list = (value) => (Array.isArray(value) ? value : []);

export function addDashboardPlugin(converse, { service }) {
    const { $iq, Strophe, html, nothing, render } = converse.env;

    class Floor {
        constructor(api) {
            this.api = api;
            this.status = "offline"; // subscribing, live, refused, unavailable
            this.problem = "";
            this.snapshot = null;
            this.received = 0; // performance.now() when the snapshot arrived
            this.wanted = location.hash === HASH;
            this.connected = false;
            this.renewTimer = null;
            this.tickTimer = null;
            this.handler = null;
            this.charts = {};
            this.uplot = null;
            this.panel = document.createElement("huddle-floor");
            this.toggle = document.createElement("huddle-floor-toggle");
            this.watchControlbox();
            addEventListener("hashchange", () => this.setWanted(location.hash === HASH));
            addEventListener("resize", () => this.visible && this.placePanel());
            addEventListener("pagehide", () => this.unsubscribe());
        }

        get visible() {
            return this.wanted && this.connected;
        }

        // --- The feed ------------------------------------------------------

        onConnected() {
            this.connected = true;
            const connection = this.api.connection.get();
            // A reconnection may come with a new connection object: handlers anew.
            if (this.handler) connection.deleteHandler(this.handler);
            this.handler = connection.addHandler(
                (stanza) => {
                    this.onEvent(stanza);
                    return true;
                },
                NS_PUBSUB_EVENT,
                "message",
                null,
                null,
                service,
            );
            clearInterval(this.renewTimer);
            this.renewTimer = setInterval(() => this.subscribe(), RENEW_MS);
            this.subscribe();
            this.update();
        }

        onDisconnected() {
            // The next login may be someone else's: nothing of this one's floor stays.
            this.connected = false;
            clearInterval(this.renewTimer);
            this.renewTimer = null;
            this.status = "offline";
            this.snapshot = null;
            this.update();
        }

        /** As the page goes: the service would otherwise keep sending until the expiry. */
        unsubscribe() {
            if (!this.api.connection.connected() || this.status !== "live") return;
            const jid = this.api.connection.get().jid;
            const iq = $iq({ type: "set", to: service })
                .c("pubsub", { xmlns: NS_PUBSUB })
                .c("unsubscribe", { node: NODE, jid });
            this.api.sendIQ(iq, IQ_TIMEOUT_MS, false); // no answer awaited
        }

        async subscribe() {
            if (!this.api.connection.connected()) return;
            const jid = this.api.connection.get().jid;
            if (!this.snapshot && this.status !== "refused") this.status = "subscribing";
            const iq = $iq({ type: "set", to: service })
                .c("pubsub", { xmlns: NS_PUBSUB })
                .c("subscribe", { node: NODE, jid });
            let answer;
            try {
                answer = await this.api.sendIQ(iq, IQ_TIMEOUT_MS, false);
            } catch (error) {
                answer = null; // disconnected in between
            }
            if (answer?.getAttribute("type") === "result") {
                if (this.status !== "live") this.status = this.snapshot ? "live" : "subscribing";
                this.problem = "";
            } else {
                const condition = errorCondition(answer);
                if (condition === "not-allowed" || condition === "forbidden") {
                    this.status = "refused";
                    clearInterval(this.renewTimer); // asking again changes nothing
                    this.renewTimer = null;
                } else {
                    this.status = "unavailable";
                    this.problem = PROBLEMS[condition] ?? (condition || "it did not answer");
                }
            }
            this.update();
        }

        onEvent(stanza) {
            const items = [...stanza.getElementsByTagNameNS(NS_PUBSUB_EVENT, "items")].find(
                (element) => element.getAttribute("node") === NODE,
            );
            const json = items?.getElementsByTagNameNS(NS_JSON, "json")[0];
            if (!json) return;
            let snapshot;
            try {
                snapshot = JSON.parse(json.textContent);
            } catch {
                console.warn("huddle-dashboard: a floor snapshot that is not JSON");
                return;
            }
            if (!snapshot || typeof snapshot.now !== "number") return;
            this.snapshot = snapshot;
            this.received = performance.now();
            this.status = "live";
            this.problem = "";
            this.update();
        }

        /** Now on the component's clock, from the snapshot's `now` and our own clock. */
        now() {
            return this.snapshot.now + (performance.now() - this.received) / 1000;
        }

        since(t) {
            return typeof t === "number" ? this.now() - t : null;
        }

        // --- Showing and hiding --------------------------------------------

        open() {
            if (location.hash === HASH) {
                this.setWanted(true);
            } else {
                location.hash = HASH; // the hashchange listener does the rest
            }
        }

        close() {
            if (location.hash === HASH) {
                history.replaceState(null, "", location.pathname + location.search);
            }
            this.setWanted(false);
        }

        setWanted(wanted) {
            if (wanted === this.wanted) return;
            this.wanted = wanted;
            this.update();
        }

        /** Keep the Floor button at the top of the control box, which Converse re-renders. */
        watchControlbox() {
            const place = () => {
                if (this.toggle.isConnected) return;
                const pane = document.querySelector(
                    "#controlbox converse-user-profile + .controlbox-pane",
                );
                if (pane) {
                    pane.prepend(this.toggle);
                    this.renderToggle();
                }
            };
            new MutationObserver(place).observe(document.body, { childList: true, subtree: true });
            // A chat opened from the control box is what the person wants to see next.
            document.addEventListener(
                "click",
                (event) => {
                    if (event.target.closest?.("#controlbox .open-room, #controlbox .open-chat")) {
                        this.close();
                    }
                },
                true,
            );
        }

        update() {
            this.renderToggle();
            if (this.visible) {
                if (!this.panel.isConnected) {
                    (document.querySelector("converse-root") ?? document.body).prepend(this.panel);
                }
                this.placePanel();
                this.panel.hidden = false;
                document.body.classList.add("huddle-floor-open");
                this.tickTimer ??= setInterval(() => this.renderPanel(), 1000);
                this.renderPanel();
            } else {
                this.panel.hidden = true;
                document.body.classList.remove("huddle-floor-open");
                clearInterval(this.tickTimer);
                this.tickTimer = null;
            }
        }

        /** Beside the control box, over the chat area. */
        placePanel() {
            const controlbox = document.querySelector("#controlbox");
            const right = controlbox?.getBoundingClientRect().right ?? 0;
            // Under Converse's phone layout the control box is the whole width.
            const left = right >= innerWidth - 1 ? 0 : Math.round(right);
            this.panel.style.setProperty("--huddle-floor-left", `${left}px`);
        }

        // --- Acting on a chat ----------------------------------------------

        async supervise(room) {
            this.close();
            return this.api.rooms.open(room, {}, true);
        }

        async takeOver(room) {
            const muc = await this.supervise(room);
            if (!muc) return;
            await muc.initialized;
            if (await entered(muc)) {
                await muc.sendMessage({ body: "!take" });
            } else {
                console.warn(`huddle-dashboard: could not enter ${room} to take it over`);
            }
        }

        roomOf(chat) {
            const snapshot = this.snapshot;
            const row = [...list(snapshot?.queue), ...list(snapshot?.active)].find(
                (c) => c.chat === chat,
            );
            return row?.room ?? `${chat}@${snapshot?.service || service}`;
        }

        // --- Rendering -----------------------------------------------------

        renderToggle() {
            const snapshot = this.status === "live" ? this.snapshot : null;
            const waiting = list(snapshot?.queue).length;
            const alerts = list(snapshot?.alerts).length;
            render(
                html`<div class="huddle-floor-toggle controlbox-section">
                    <button
                        type="button"
                        class="huddle-floor-toggle__button ${this.wanted ? "is-open" : ""}"
                        aria-pressed="${this.wanted ? "true" : "false"}"
                        title="The live dashboard: queue, chats, agents, today"
                        @click=${() => (this.wanted ? this.close() : this.open())}
                    >
                        <span class="huddle-floor-toggle__label">Floor</span>
                        <span class="huddle-floor-toggle__badges">
                            ${
                                snapshot
                                    ? html`<span
                                          class="huddle-floor-badge huddle-floor-badge--queue"
                                          >${waiting} waiting</span
                                      >`
                                    : nothing
                            }
                            ${
                                alerts
                                    ? html`<span
                                          class="huddle-floor-badge huddle-floor-badge--alert"
                                          >${alerts} ${alerts === 1 ? "alert" : "alerts"}</span
                                      >`
                                    : nothing
                            }
                        </span>
                    </button>
                </div>`,
                this.toggle,
            );
        }

        renderPanel() {
            if (!this.visible) return;
            render(this.panelTemplate(), this.panel);
            if (this.status === "live" || (this.status === "unavailable" && this.snapshot)) {
                this.renderCharts();
            }
        }

        panelTemplate() {
            const snapshot = this.snapshot;
            const where = snapshot?.service || service;
            let state;
            if (this.status === "live") state = "Live";
            else if (this.status === "unavailable") state = "Not updating";
            else if (this.status === "refused") state = "";
            else state = "Connecting…";
            return html`<section class="huddle-floor__panel" aria-label="Floor: the live dashboard">
                <header class="huddle-floor__head">
                    <h2 class="huddle-floor__title">Floor</h2>
                    <span class="huddle-floor__state huddle-floor__state--${this.status}"
                        >${state}</span
                    >
                    <span class="huddle-floor__service">${where}</span>
                    <button
                        type="button"
                        class="huddle-floor__close"
                        title="Close the dashboard"
                        aria-label="Close the dashboard"
                        @click=${() => this.close()}
                    >
                        ×
                    </button>
                </header>
                <div class="huddle-floor__body">${this.bodyTemplate()}</div>
            </section>`;
        }

        bodyTemplate() {
            if (this.status === "refused") {
                return html`<div
                    class="huddle-floor__message huddle-floor__message--refused"
                    role="alert"
                >
                    <strong>The floor dashboard is for Huddle staff only.</strong>
                    <p>
                        ${service} refused to show the floor to
                        ${Strophe.getBareJidFromJid(this.api.connection.get()?.jid ?? "") || "this account"}:
                        this account is not in the staff directory. Ask an administrator to add it
                        (<code>huddle-admin staff add</code>).
                    </p>
                </div>`;
            }
            if (!this.snapshot) {
                return html`<div class="huddle-floor__message" role="status">
                    ${
                        this.status === "unavailable"
                            ? html`<strong>The floor feed is not available</strong>
                                  <p>
                                      Asked ${service} for it: ${this.problem}. Trying again every
                                      minute.
                                  </p>`
                            : html`<p>Waiting for the floor from ${service}…</p>`
                    }
                </div>`;
            }
            const snapshot = this.snapshot;
            const alerted = new Map();
            for (const alert of list(snapshot.alerts)) {
                if (!alerted.has(alert.chat)) alerted.set(alert.chat, []);
                alerted.get(alert.chat).push(alert);
            }
            return html`
                ${
                    this.status === "unavailable"
                        ? html`<p class="huddle-floor__stale" role="status">
                              Not updating (${this.problem}): this is the floor as it was
                              ${formatDuration(this.since(snapshot.now))} ago.
                          </p>`
                        : nothing
                }
                ${this.alertsTemplate(list(snapshot.alerts))}
                <div class="huddle-floor__grid">
                    ${this.queueTemplate(list(snapshot.queue), alerted)}
                    ${this.activeTemplate(list(snapshot.active), alerted)}
                    ${this.agentsTemplate(list(snapshot.agents))}
                    ${this.todayTemplate(snapshot.today)} ${this.chartsTemplate(snapshot)}
                </div>
            `;
        }

        alertsTemplate(alerts) {
            return html`<section
                class="huddle-floor__section huddle-floor__alerts ${alerts.length ? "has-alerts" : ""}"
                data-section="alerts"
                aria-live="polite"
            >
                <h3>Alerts <span class="huddle-floor__count">${alerts.length}</span></h3>
                ${
                    alerts.length
                        ? html`<ul class="huddle-floor__alert-list">
                              ${alerts.map(
                                  (alert) =>
                                      html`<li
                                          class="huddle-floor__alert huddle-floor__alert--${alert.kind}"
                                          data-chat="${alert.chat}"
                                          data-room="${this.roomOf(alert.chat)}"
                                      >
                                          <span class="huddle-floor__alert-kind"
                                              >${ALERT_KINDS[alert.kind] ?? alert.kind}</span
                                          >
                                          <span class="huddle-floor__alert-text"
                                              >${alert.text}</span
                                          >
                                          <span class="huddle-floor__alert-since"
                                              >for ${formatDuration(this.since(alert.since))}</span
                                          >
                                          ${this.actionsTemplate(this.roomOf(alert.chat))}
                                      </li>`,
                              )}
                          </ul>`
                        : html`<p class="huddle-floor__empty">No alerts.</p>`
                }
            </section>`;
        }

        /** The row's alert marker: words, not only colour. */
        alertMarker(alerts) {
            if (!alerts?.length) return nothing;
            const kinds = alerts.map((a) => ALERT_KINDS[a.kind] ?? a.kind).join(", ");
            return html`<span class="huddle-floor__row-alert" title="${kinds}">⚠ ${kinds}</span>`;
        }

        visitorTemplate(chat) {
            return html`<span class="huddle-floor__visitor">${chat.visitor || "(no name)"}</span>
                <span class="huddle-floor__short">[${chat.short ?? ""}]</span>
                ${
                    chat.visitor_present === false
                        ? html`<span class="huddle-floor__left">left</span>`
                        : nothing
                }`;
        }

        actionsTemplate(room) {
            return html`<span class="huddle-floor__actions">
                <button
                    type="button"
                    class="huddle-floor__supervise"
                    title="Open this chat here (hidden from the visitor unless you are its agent)"
                    @click=${() => this.supervise(room)}
                >
                    Supervise
                </button>
                <button
                    type="button"
                    class="huddle-floor__take"
                    title="Open this chat and take it over (!take)"
                    @click=${() => this.takeOver(room)}
                >
                    Take over
                </button>
            </span>`;
        }

        queueTemplate(queue, alerted) {
            return html`<section
                class="huddle-floor__section huddle-floor__queue"
                data-section="queue"
            >
                <h3>Queue <span class="huddle-floor__count">${queue.length}</span></h3>
                ${
                    queue.length
                        ? html`<table class="huddle-floor__table">
                              <thead>
                                  <tr>
                                      <th>#</th>
                                      <th>Visitor</th>
                                      <th>Team</th>
                                      <th>Waiting</th>
                                      <th>Offered to</th>
                                      <th>First message</th>
                                      <th><span class="visually-hidden">Actions</span></th>
                                  </tr>
                              </thead>
                              <tbody>
                                  ${queue.map(
                                      (chat) =>
                                          html`<tr
                                              data-chat="${chat.chat}"
                                              data-room="${chat.room}"
                                              class="${alerted.has(chat.chat) ? "is-alert" : ""}"
                                          >
                                              <td data-label="Place" class="huddle-floor__place">
                                                  ${chat.place}
                                              </td>
                                              <td data-label="Visitor">
                                                  ${this.visitorTemplate(chat)}
                                                  ${this.alertMarker(alerted.get(chat.chat))}
                                              </td>
                                              <td data-label="Team">${chat.team}</td>
                                              <td
                                                  data-label="Waiting"
                                                  class="huddle-floor__waiting huddle-floor__num"
                                              >
                                                  ${formatDuration(this.since(chat.created))}
                                              </td>
                                              <td data-label="Offered to">
                                                  ${chat.offered_to || "—"}
                                              </td>
                                              <td
                                                  data-label="First message"
                                                  class="huddle-floor__first"
                                              >
                                                  <span title="${chat.first_message ?? ""}"
                                                      >${chat.first_message || "—"}</span
                                                  >
                                              </td>
                                              <td class="huddle-floor__row-actions">
                                                  ${this.actionsTemplate(chat.room)}
                                              </td>
                                          </tr>`,
                                  )}
                              </tbody>
                          </table>`
                        : html`<p class="huddle-floor__empty">Nobody is waiting.</p>`
                }
            </section>`;
        }

        activeTemplate(active, alerted) {
            return html`<section
                class="huddle-floor__section huddle-floor__active"
                data-section="active"
            >
                <h3>Active chats <span class="huddle-floor__count">${active.length}</span></h3>
                ${
                    active.length
                        ? html`<table class="huddle-floor__table">
                              <thead>
                                  <tr>
                                      <th>Visitor</th>
                                      <th>Agent</th>
                                      <th>Team</th>
                                      <th>Duration</th>
                                      <th>Last activity</th>
                                      <th>Visitor waiting</th>
                                      <th>Hidden</th>
                                      <th><span class="visually-hidden">Actions</span></th>
                                  </tr>
                              </thead>
                              <tbody>
                                  ${active.map((chat) => {
                                      const waiting = this.since(chat.waiting_since);
                                      return html`<tr
                                          data-chat="${chat.chat}"
                                          data-room="${chat.room}"
                                          class="${alerted.has(chat.chat) ? "is-alert" : ""}"
                                      >
                                          <td data-label="Visitor">
                                              ${this.visitorTemplate(chat)}
                                              ${this.alertMarker(alerted.get(chat.chat))}
                                          </td>
                                          <td data-label="Agent" class="huddle-floor__agent">
                                              ${chat.agent || "—"}
                                          </td>
                                          <td data-label="Team">${chat.team}</td>
                                          <td
                                              data-label="Duration"
                                              class="huddle-floor__duration huddle-floor__num"
                                          >
                                              ${formatDuration(this.since(chat.created))}
                                          </td>
                                          <td data-label="Last activity" class="huddle-floor__num">
                                              ${
                                                  typeof chat.last_activity === "number"
                                                      ? `${formatDuration(this.since(chat.last_activity))} ago`
                                                      : "—"
                                              }
                                          </td>
                                          <td
                                              data-label="Visitor waiting"
                                              class="huddle-floor__num ${waiting === null ? "" : "is-waiting"}"
                                          >
                                              ${waiting === null ? "answered" : formatDuration(waiting)}
                                          </td>
                                          <td data-label="Hidden" class="huddle-floor__hidden">
                                              ${list(chat.hidden).length ? list(chat.hidden).join(", ") : "—"}
                                          </td>
                                          <td class="huddle-floor__row-actions">
                                              ${this.actionsTemplate(chat.room)}
                                          </td>
                                      </tr>`;
                                  })}
                              </tbody>
                          </table>`
                        : html`<p class="huddle-floor__empty">No chat is assigned.</p>`
                }
            </section>`;
        }

        agentsTemplate(agents) {
            const now = this.now();
            return html`<section
                class="huddle-floor__section huddle-floor__agents"
                data-section="agents"
            >
                <h3>Agents <span class="huddle-floor__count">${agents.length}</span></h3>
                ${
                    agents.length
                        ? html`<table class="huddle-floor__table">
                              <thead>
                                  <tr>
                                      <th>Agent</th>
                                      <th>Team</th>
                                      <th>Availability</th>
                                      <th>Chats</th>
                                      <th>Idle</th>
                                  </tr>
                              </thead>
                              <tbody>
                                  ${agents.map((agent) => {
                                      const show = agent.show || "offline";
                                      const full =
                                          agent.max_chats && agent.chats >= agent.max_chats;
                                      return html`<tr
                                          data-agent="${agent.jid}"
                                          class="show-${show}"
                                      >
                                          <td data-label="Agent" class="huddle-floor__agent-name">
                                              ${agent.name}
                                          </td>
                                          <td data-label="Team">${agent.team}</td>
                                          <td data-label="Availability">
                                              <span
                                                  class="huddle-floor__presence huddle-floor__presence--${show}"
                                                  >${AVAILABILITY[show] ?? show}</span
                                              >
                                          </td>
                                          <td
                                              data-label="Chats"
                                              class="huddle-floor__num ${full ? "is-full" : ""}"
                                          >
                                              ${agent.chats} / ${agent.max_chats}
                                          </td>
                                          <td data-label="Idle" class="huddle-floor__num">
                                              ${
                                                  typeof agent.idle_since === "number"
                                                      ? formatDuration(now - agent.idle_since)
                                                      : "—"
                                              }
                                          </td>
                                      </tr>`;
                                  })}
                              </tbody>
                          </table>`
                        : html`<p class="huddle-floor__empty">No agents in the staff directory.</p>`
                }
            </section>`;
        }

        todayTemplate(today) {
            const t = today ?? {};
            const pair = (figures) =>
                html`<span class="huddle-floor__pair">
                    <span>${formatDuration(figures?.median)}<small> median</small></span>
                    <span>${formatDuration(figures?.p90)}<small> p90</small></span>
                </span>`;
            const tile = (name, label, value) =>
                html`<div class="huddle-floor__tile" data-figure="${name}">
                    <span class="huddle-floor__tile-label">${label}</span>
                    <span class="huddle-floor__tile-value">${value}</span>
                </div>`;
            return html`<section
                class="huddle-floor__section huddle-floor__today"
                data-section="today"
            >
                <h3>Today</h3>
                <div class="huddle-floor__tiles">
                    ${tile("chats", "Chats", t.chats ?? 0)}
                    ${tile("answered", "Answered", t.answered ?? 0)}
                    ${tile("missed", "Missed", t.missed ?? 0)}
                    ${tile("first_response", "First response", pair(t.first_response))}
                    ${tile("wait", "Wait for an agent", pair(t.wait))}
                </div>
            </section>`;
        }

        chartsTemplate(snapshot) {
            const hours = list(snapshot.hours);
            const week = list(snapshot.week).filter((day) => day && typeof day === "object");
            const busiest = hours.length ? hours.indexOf(Math.max(...hours)) : -1;
            return html`<section
                class="huddle-floor__section huddle-floor__charts"
                data-section="charts"
            >
                <h3>Chats</h3>
                <figure class="huddle-floor__figure">
                    <figcaption>Today, per hour</figcaption>
                    <div
                        class="huddle-floor__chart"
                        data-chart="hours"
                        role="img"
                        aria-label="Chats per hour today: ${hours.reduce((a, b) => a + b, 0)} in all${
                            busiest >= 0 ? `, most at ${busiest}:00` : ""
                        }"
                    ></div>
                </figure>
                <figure class="huddle-floor__figure">
                    <figcaption>Last 7 days</figcaption>
                    <div
                        class="huddle-floor__chart"
                        data-chart="week"
                        role="img"
                        aria-label="Chats in the last 7 days: ${week
                            .map((d) => `${d.day} ${d.chats} chats, ${d.missed} missed`)
                            .join("; ")}"
                    ></div>
                </figure>
            </section>`;
        }

        // --- Charts (uPlot, loaded the first time the panel shows) ---------

        async renderCharts() {
            if (!this.uplot) {
                this.uplot = import(new URL("uPlot.esm.js", UPLOT).href).then(
                    (module) => module.default,
                );
                const link = document.createElement("link");
                link.rel = "stylesheet";
                link.href = new URL("uPlot.min.css", UPLOT).href;
                document.head.append(link);
            }
            let uPlot;
            try {
                uPlot = await this.uplot;
            } catch (error) {
                console.warn("huddle-dashboard: uPlot did not load, no charts", error);
                return;
            }
            const snapshot = this.snapshot;
            const attached = ["hours", "week"].every((name) => this.charts[name]?.root.isConnected);
            if (!snapshot || (snapshot === this.charted && attached)) return;
            this.charted = snapshot;
            const hours = list(snapshot.hours).map(Number);
            const week = list(snapshot.week).filter((day) => day && typeof day === "object");
            this.chart(uPlot, "hours", {
                data: [hours.map((_, hour) => hour), hours],
                series: [{ label: "Chats", color: "chats" }],
                label: (hour) => `${hour}`,
                full: (hour) => `${hour}:00–${hour}:59`,
                incrs: [1, 2, 3, 4, 6, 12],
            });
            this.chart(uPlot, "week", {
                data: [
                    week.map((_, index) => index),
                    week.map((day) => Number(day.chats) || 0),
                    week.map((day) => Number(day.missed) || 0),
                ],
                series: [
                    { label: "Chats", color: "chats" },
                    { label: "Missed", color: "missed" },
                ],
                label: (index) => dayLabel(week[index]?.day),
                full: (index) => week[index]?.day ?? "",
                incrs: [1, 2, 7],
            });
        }

        chart(uPlot, name, { data, series, label, full, incrs }) {
            const box = this.panel.querySelector(`[data-chart='${name}']`);
            if (!box) return;
            const existing = this.charts[name];
            if (
                existing &&
                existing.root.isConnected &&
                existing.series.length === series.length + 1
            ) {
                existing.setData(data);
                return;
            }
            existing?.destroy();
            const colours = chartColours(this.panel);
            const whole = (u, values) => values.map((v) => (Number.isInteger(v) ? label(v) : ""));
            const options = {
                width: Math.max(box.clientWidth, 200),
                height: 150,
                legend: { show: true, live: true },
                cursor: { drag: { x: false, y: false }, points: { show: false } },
                scales: {
                    x: { time: false, range: (u, min, max) => [min - 0.5, max + 0.5] },
                    y: { range: (u, min, max) => [0, Math.max(1, Math.ceil(max * 1.15))] },
                },
                axes: [
                    {
                        values: whole,
                        incrs,
                        space: 28,
                        stroke: colours.text,
                        grid: { show: false },
                    },
                    {
                        values: (u, values) => values.map((v) => (Number.isInteger(v) ? v : "")),
                        incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500],
                        stroke: colours.text,
                        grid: { stroke: colours.grid },
                        size: 36,
                    },
                ],
                series: [
                    {
                        label: name === "hours" ? "Hour" : "Day",
                        value: (u, v) => (v === null ? "—" : full(v)),
                    },
                    ...series.map((s) => ({
                        label: s.label,
                        fill: colours[s.color],
                        stroke: colours[s.color],
                        width: 0,
                        // Missed chats are a part of the chats: drawn over them, narrower.
                        paths: uPlot.paths.bars({
                            size: s.color === "missed" ? [0.4, 24] : [0.7, 40],
                        }),
                        points: { show: false },
                    })),
                ],
            };
            this.charts[name] = new uPlot(options, data, box);
            this.observeSize(box, name);
        }

        observeSize(box, name) {
            this.resizer ??= new ResizeObserver((entries) => {
                for (const entry of entries) {
                    const chart = this.charts[entry.target.dataset.chart];
                    const width = Math.floor(entry.contentRect.width);
                    if (chart && width > 0 && width !== chart.width)
                        chart.setSize({ width, height: 150 });
                }
            });
            this.resizer.observe(box);
        }
    }

    const stylesheet = document.createElement("link");
    stylesheet.rel = "stylesheet";
    stylesheet.href = new URL("huddle-dashboard.css", import.meta.url).href;
    document.head.append(stylesheet);

    converse.plugins.add("huddle-dashboard", {
        initialize() {
            const { _converse } = this;
            const { api } = _converse;
            const floor = new Floor(api);
            api.listen.on("connected", () => floor.onConnected());
            api.listen.on("reconnected", () => floor.onConnected());
            api.listen.on("disconnected", () => floor.onDisconnected());
            // A chat being shown (opened from the desk's link, an accepted offer, the
            // rooms list) is what the person now wants to see: the panel makes way.
            // Not during the start-up, when Converse shows the chats it restores.
            api.listen.on("chatBoxesInitialized", () => {
                api.waitUntil("roomsAutoJoined").then(() => {
                    _converse.state.chatboxes.on("change:hidden", (chatbox) => {
                        if (!chatbox.get("hidden") && chatbox.get("id") !== "controlbox")
                            floor.close();
                    });
                });
            });
        },
    });
}

function errorCondition(stanza) {
    const error = stanza?.getElementsByTagName("error")[0];
    const condition =
        error && [...error.children].find((child) => child.namespaceURI === NS_STANZAS);
    return condition?.localName ?? "";
}

/** Resolves true once ``muc`` is entered, false if it is not within a while. */
function entered(muc) {
    if (muc.isEntered()) return Promise.resolve(true);
    return new Promise((resolve) => {
        const done = (result) => {
            clearTimeout(timer);
            muc.session.off("change:connection_status", check);
            resolve(result);
        };
        const check = () => muc.isEntered() && done(true);
        const timer = setTimeout(() => done(false), JOIN_TIMEOUT_MS);
        muc.session.on("change:connection_status", check);
    });
}

function dayLabel(day) {
    if (typeof day !== "string") return "";
    const date = new Date(`${day}T12:00:00`);
    if (Number.isNaN(date.getTime())) return day;
    return date.toLocaleDateString(undefined, { weekday: "short", day: "numeric" });
}

function chartColours(element) {
    const style = getComputedStyle(element);
    const pick = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
    return {
        chats: pick("--huddle-floor-chart-chats", "#4a90c2"),
        missed: pick("--huddle-floor-chart-missed", "#d24e2b"),
        text: pick("--huddle-floor-text", "#444"),
        grid: pick("--huddle-floor-grid", "rgba(0,0,0,0.08)"),
    };
}
