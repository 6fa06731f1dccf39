/*
 * A Converse.js plugin for the Huddle visitor widget: what became of each message
 * the visitor sent.
 *
 * A chat room reflects every message back to its sender once it has taken it;
 * Converse marks the message `received` then. Until that happens the widget says
 * "sending…" under it. If it has not happened after SEND_TIMEOUT_MS, or the server
 * bounced the message (the support service was down: Prosody answers for it with
 * an error), it says "not delivered" with a "retry" button that sends it again.
 *
 * A message still unconfirmed is kept in the widget's record, so that one lost
 * with the page (a reload, a dropped connection: a new anonymous session, whose
 * Converse knows only the room's history) comes back as "not delivered" instead of
 * vanishing. If the room did take it after all, its history brings it and
 * Converse matches it by its id: then it shows as sent.
 */

export const SEND_TIMEOUT_MS = 10_000;
const MAX_PENDING = 50;

/**
 * @param {object} converse   the global `converse` object of converse.min.js
 * @param {object} widget     { chat, save() }: the widget's record of the chat
 */
export function addDeliveryPlugin(converse, widget) {
    const { chat } = widget;
    const { html } = converse.env;

    converse.plugins.add("huddle-delivery", {
        dependencies: ["converse-muc"],

        initialize() {
            const { api } = this._converse;
            const timers = new Map();

            const isOwn = (m) => m.get("sender") === "me" && m.get("type") === "groupchat" && !m.get("is_ephemeral");
            const isFailed = (m) => Boolean(m.get("huddle_undelivered") || m.get("error"));
            // A file is sent once its upload is done; Converse shows the upload until then.
            const isUploading = (m) => m.get("file") && m.get("upload") !== "success";
            const isPending = (m) => isOwn(m) && !m.get("received") && !isFailed(m) && !isUploading(m);

            api.listen.on("enteredNewRoom", (muc) => {
                if (muc.get("jid") !== chat.room) {
                    return;
                }
                if (!muc.huddleDelivery) {
                    muc.huddleDelivery = true;
                    const check = (m) => isPending(m) && arm(muc, m);
                    muc.messages.on("add", check);
                    muc.messages.on("change:upload", check);
                    muc.messages.on("change:received", (m) => m.get("received") && delivered(m));
                    muc.messages.on("change:error", (m) => m.get("error") && failed(m));
                }
                putBackPending(muc);
                muc.messages.filter(isPending).forEach((m) => arm(muc, m));
            });

            // Under each message of hers, next to Converse's own message actions.
            api.listen.on("getMessageActionContent", (el, content) => {
                const m = el.model;
                if (!isOwn(m) || m.get("received") || isUploading(m)) {
                    return content;
                }
                if (isFailed(m)) {
                    return html`${content}<span class="huddle-delivery huddle-delivery--failed" role="status"
                        >not delivered —
                        <button type="button" class="huddle-retry" @click=${() => retry(m)}>retry</button></span
                    >`;
                }
                return html`${content}<span class="huddle-delivery" role="status">sending…</span>`;
            });

            function arm(muc, m) {
                if (timers.has(m.get("id"))) {
                    return;
                }
                remember(m);
                timers.set(
                    m.get("id"),
                    setTimeout(() => {
                        timers.delete(m.get("id"));
                        if (!m.get("received")) {
                            m.save({ huddle_undelivered: true });
                            // If the room has lost her (the service restarted, say),
                            // Converse's self-ping finds out and joins her again.
                            muc.rejoinIfNecessary?.().catch?.(() => {});
                        }
                    }, SEND_TIMEOUT_MS),
                );
            }

            function disarm(m) {
                clearTimeout(timers.get(m.get("id")));
                timers.delete(m.get("id"));
            }

            function delivered(m) {
                disarm(m);
                if (m.get("huddle_undelivered")) {
                    m.save({ huddle_undelivered: false });
                }
                forget(m);
            }

            function failed(m) {
                disarm(m);
                remember(m);
            }

            async function retry(m) {
                const muc = m.chatbox;
                if (!muc) {
                    return;
                }
                disarm(m);
                // Sent again now: it goes last, where it lands for everyone else.
                m.save({
                    huddle_undelivered: false,
                    error: undefined,
                    error_condition: undefined,
                    error_text: undefined,
                    error_type: undefined,
                    is_error: false,
                    time: new Date().toISOString(),
                });
                muc.messages.sort();
                remember(m);
                arm(muc, m);
                try {
                    api.send(await muc.createMessageStanza(m));
                } catch (error) {
                    console.error("Huddle widget: resending failed", error);
                    disarm(m);
                    m.save({ huddle_undelivered: true });
                }
            }

            // -- unconfirmed messages in the widget's record --------------------------

            function remember(m) {
                chat.pending ??= [];
                const id = m.get("id");
                const entry = {
                    id,
                    msgid: m.get("msgid"),
                    body: m.get("body") ?? m.get("message"),
                    oob_url: m.get("oob_url"),
                    time: m.get("time"),
                };
                const at = chat.pending.findIndex((p) => p.id === id);
                if (at >= 0) {
                    chat.pending[at] = entry;
                } else {
                    chat.pending.push(entry);
                    chat.pending.splice(0, chat.pending.length - MAX_PENDING);
                }
                widget.save();
            }

            function forget(m) {
                const before = chat.pending?.length ?? 0;
                chat.pending = (chat.pending ?? []).filter((p) => p.id !== m.get("id"));
                if (chat.pending.length !== before) {
                    widget.save();
                }
            }

            function putBackPending(muc) {
                for (const p of chat.pending ?? []) {
                    if (muc.messages.get(p.id) || !p.body) {
                        continue;
                    }
                    const nick = muc.get("nick");
                    muc.messages.create({
                        id: p.id,
                        msgid: p.msgid || p.id,
                        origin_id: p.id,
                        type: "groupchat",
                        sender: "me",
                        from: `${muc.get("jid")}/${nick}`,
                        nick,
                        body: p.body,
                        message: p.body,
                        oob_url: p.oob_url,
                        time: p.time,
                        huddle_undelivered: true,
                    });
                }
            }
        },
    });
}
