/*
 * A Converse.js plugin for the Huddle visitor widget: everything about the chat
 * that is Huddle's rather than XMPP's.
 *
 * - Tells the support service who the visitor is: <visitor xmlns='urn:huddle:visitor:0'>
 *   inside the MUC join presence (Converse's `constructedMUCPresence` hook), so the
 *   very first desk announcement already shows it to staff. The component keeps
 *   the details for staff only: it never reflects the element to anyone.
 * - Asks her question, once per chat (not again after a reload).
 * - Shows her own name as she typed it: Huddle names her "<name> (visitor)" in the
 *   room, and Converse's initials avatar would read "M(". Avatars and colours are
 *   keyed by the name in the room, which stays the same across reloads (Converse's
 *   own key, her anonymous address, changes with each).
 * - Keeps the room's notices (the welcome, her place in line, who joined) in the
 *   widget's record and puts them back in their place after a reload, when a new
 *   anonymous session gets only the room's history. Each notice remembers the
 *   message it followed (by its id, the same in the history), not a clock time: the
 *   history's times come from the server's clock, a live notice's from the browser's.
 * - Notices that someone from staff joined or left, in her words: Converse's own
 *   ("… has entered the groupchat", "Your nickname has been automatically set to …")
 *   are turned off with `muc_show_info_messages: []`.
 * - Notices the end of the chat (the room destroyed, or already gone when she comes
 *   back) and keeps a text transcript of what she saw for after it.
 * - Sends the rating and the transcript email (docs/visitor-protocol.md).
 */

export const NS_VISITOR = "urn:huddle:visitor:0";
export const NS_RATING = "urn:huddle:rating:0";
export const NS_TRANSCRIPT = "urn:huddle:transcript:0";
const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const NS_MUC_USER = "http://jabber.org/protocol/muc#user";
// How Huddle names a visitor in her room: "<name> (visitor)". A chat has one visitor,
// so in the widget such a nick is always hers.
const VISITOR_SUFFIX = " (visitor)";
const MAX_NOTICES = 200;
const DEFAULT_ENDED = "This chat has ended. Thank you for contacting us!";

/**
 * @param {object} converse   the global `converse` object of converse.min.js
 * @param {object} widget     { chat, service, title, save(), onEnded(), onProblem(text) };
 *     `chat` is the widget's record: { room, name, email, question, page, started,
 *     asked, notices?, ended?, … }, saved with `save()`
 * @returns {Promise<object>} resolves once Converse is connected, with what the
 *     widget asks of it: { transcript(), rate(score, comment), emailTranscript() }
 */
export function addVisitorPlugin(converse, widget) {
    const { chat } = widget;
    const { $iq, dayjs, stx, u } = converse.env;
    let resolveConnected;
    const connected = new Promise((resolve) => (resolveConnected = resolve));

    const isMine = (nick) => typeof nick === "string" && nick.endsWith(VISITOR_SUFFIX);
    const shownName = (nick) => (isMine(nick) ? chat.name : nick);
    const ourRoom = (muc) => muc?.get("jid") === chat.room;
    // The chat's room, once entered.
    let room = null;
    let converseApi = null;

    converse.plugins.add("huddle-visitor", {
        dependencies: ["converse-muc"],

        // Converse's plugin overrides: the methods Converse itself calls for a
        // sender's name, and for the key its avatar colours are made from.
        overrides: {
            MUCOccupant: {
                getDisplayName() {
                    const nick = this.get("nick");
                    return nick ? shownName(nick) : this.__super__.getDisplayName();
                },
                getIdentifier() {
                    return this.get("nick") || this.__super__.getIdentifier();
                },
            },
            MUCMessage: {
                getDisplayName() {
                    const nick = this.get("nick");
                    return nick ? shownName(nick) : this.__super__.getDisplayName();
                },
                getIdentifier() {
                    return (this.get("type") === "groupchat" && this.get("nick")) || this.__super__.getIdentifier();
                },
            },
            MUC: {
                // Converse 14 shows a notice for every status code of a presence
                // ("Your nickname has been automatically set to …"): it forgets
                // to call its own check of `muc_show_info_messages`.
                createInfoMessageFromPresence(code, attrs) {
                    if (converseApi?.settings.get("muc_show_info_messages").includes(code)) {
                        return this.__super__.createInfoMessageFromPresence(code, attrs);
                    }
                },
                // A join refused: Huddle says item-not-found for a chat that has
                // ended. Converse would show "This groupchat does not (yet) exist".
                onErrorPresence(stanza) {
                    if (ourRoom(this) && !this.isEntered()) {
                        const error = stanza.querySelector("error");
                        if (error?.getElementsByTagNameNS(NS_STANZAS, "item-not-found").length) {
                            chatEnded(this);
                            return;
                        }
                        const text = errorText(error);
                        widget.onProblem(
                            text
                                ? `Sorry, the chat could not go on: ${text}`
                                : "Sorry, the chat could not go on. Please try again later.",
                        );
                    }
                    return this.__super__.onErrorPresence(stanza);
                },
            },
        },

        initialize() {
            const { api } = this._converse;
            converseApi = api;

            api.listen.once("connected", () => resolveConnected(session));

            // Every join presence, so a rejoin after a dropped connection
            // (a new anonymous session) carries the details again.
            api.listen.on("constructedMUCPresence", (muc, presence) => {
                if (ourRoom(muc)) {
                    presence.root().cnode(visitorDetails(stx, chat)).up();
                }
                return presence;
            });

            // Converse 14 reads no <destroy/> in a presence: the room is gone
            // (Huddle destroys it when the chat ends), and Converse would carry on
            // as if she were still in it.
            api.listen.on("parseMUCPresence", (stanza, attrs) => {
                const from = stanza.getAttribute("from")?.split("/")[0];
                if (
                    from === chat.room &&
                    stanza.getAttribute("type") === "unavailable" &&
                    stanza.getElementsByTagNameNS(NS_MUC_USER, "destroy").length &&
                    room
                ) {
                    const gone = room;
                    setTimeout(() => gone.session.save("connection_status", converse.ROOMSTATUS.DESTROYED));
                }
                return attrs;
            });

            api.listen.on("parseMUCMessage", (_stanza, attrs, muc) => {
                if (!ourRoom(muc)) {
                    return attrs;
                }
                if (isNotice(attrs)) {
                    rememberNotice(muc, attrs.id, attrs.body ?? attrs.message, attrs.time);
                } else if (attrs.type === "groupchat" && isMine(attrs.nick)) {
                    // Her messages from an earlier page load came from another
                    // anonymous session (another occupant-id): still hers.
                    attrs.sender = "me";
                }
                return attrs;
            });

            // Fired on every entry into the room.
            api.listen.on("enteredNewRoom", (muc) => {
                if (!ourRoom(muc)) {
                    return;
                }
                room = muc;
                watch(muc);
                putBackNotices(muc);
                findOutFeatures();
                if (!chat.asked) {
                    chat.asked = true;
                    widget.save();
                    muc.sendMessage({ body: chat.question });
                }
            });

            async function findOutFeatures() {
                try {
                    chat.emailTranscripts = Boolean(await api.disco.supports(NS_TRANSCRIPT, widget.service));
                } catch {
                    chat.emailTranscripts = false;
                }
                widget.save();
            }

            const session = {
                api,
                // What this page shows; or, once it shows nothing (the chat ended
                // before this page load), what the page before it showed.
                transcript: () => {
                    const shown = transcriptOf(room);
                    return shown.lines ? shown : chat.ended?.transcript ?? chat.transcript ?? shown;
                },
                rate: (score, comment) =>
                    request(
                        api,
                        $iq({ type: "set", to: widget.service })
                            .c("rating", { xmlns: NS_RATING, chat: chatId(), score: String(score) })
                            .t(comment),
                        "Thank you for your rating!",
                        ["conflict"],
                    ),
                emailTranscript: () =>
                    request(
                        api,
                        $iq({ type: "set", to: widget.service }).c("transcript", {
                            xmlns: NS_TRANSCRIPT,
                            chat: chatId(),
                        }),
                        `We have sent the transcript to ${chat.email}.`,
                        [],
                    ),
            };
        },
    });

    const chatId = () => chat.room.split("@")[0];

    // The page is going (a reload, another page of the site): keep what it showed,
    // for a chat that ends before she is back.
    addEventListener("pagehide", () => {
        const shown = room && transcriptOf(room);
        if (shown?.lines) {
            if (chat.ended) {
                chat.ended.transcript = shown;
            } else {
                chat.transcript = shown;
            }
            widget.save();
        }
    });

    // -- the room's notices, kept across reloads ----------------------------------

    function isNotice(attrs) {
        return (
            (attrs.type === "info" && attrs.huddle_notice) ||
            (attrs.type === "groupchat" && !attrs.nick && attrs.body && !attrs.subject)
        );
    }

    // The id of the last message said in the room before this point, if any. Its
    // id is the same in the room's history after a reload: the sender's origin-id,
    // which Huddle keeps, or else the room's stanza-id.
    function anchor(muc) {
        for (let i = muc.messages.length - 1; i >= 0; i--) {
            const m = muc.messages.at(i);
            if (m.get("type") === "groupchat" && !m.get("huddle_notice") && m.get("body")) {
                return m.get("id");
            }
        }
        return null;
    }

    function rememberNotice(muc, id, text, time) {
        chat.notices ??= [];
        if (chat.notices.some((n) => n.id === id)) {
            return;
        }
        chat.notices.push({ id, text, time, after: anchor(muc) });
        chat.notices.splice(0, chat.notices.length - MAX_NOTICES);
        if (chat.ended) {
            // Said as the room closed ("This chat has ended…"), just after the end.
            chat.ended.notice = text;
            widget.onEnded();
        }
        widget.save();
    }

    function noticeAttrs(notice, time) {
        return {
            id: notice.id,
            type: "info",
            message: notice.text,
            huddle_notice: true,
            from: chat.room,
            time,
        };
    }

    // After a reload, or a new session: the notices go back after the message each
    // followed, once that message is back from the room's history.
    function putBackNotices(muc) {
        const byTime = (a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0);
        const missing = (chat.notices ?? []).filter((n) => !muc.messages.get(n.id)).sort(byTime);
        if (!missing.length) {
            return;
        }
        const waiting = new Map();
        const first = [];
        for (const notice of missing) {
            if (notice.after) {
                waiting.set(notice.after, [...(waiting.get(notice.after) ?? []), notice]);
            } else {
                first.push(notice);
            }
        }
        // Before any message: before the question, which Huddle stamps (to the
        // second) after the form was sent.
        const startedAt = Math.floor(Date.parse(chat.started || first[0]?.time || 0) / 1000) * 1000 - 1;
        let firstTime = startedAt;
        const earliest = muc.messages.find((m) => !m.get("huddle_notice"));
        if (earliest) {
            firstTime = Math.min(firstTime, Date.parse(earliest.get("time")) - 1);
        }
        first.forEach((notice, i) =>
            muc.messages.create(noticeAttrs(notice, new Date(firstTime).toISOString()), { at: i }),
        );

        const placeAfter = (message) => {
            const notices = waiting.get(message.get("id"));
            if (!notices) {
                return;
            }
            waiting.delete(message.get("id"));
            let at = muc.messages.indexOf(message) + 1;
            // Same time as the message they followed, right after it: a later sort
            // (stable, by time) keeps them there.
            for (const notice of notices) {
                muc.messages.create(noticeAttrs(notice, message.get("time")), { at: at++ });
            }
        };
        muc.messages.filter((m) => !m.get("huddle_notice")).forEach(placeAfter);

        const onAdd = (message) => {
            if (message.get("huddle_notice")) {
                return;
            }
            placeAfter(message);
            // A server clock behind the browser's: keep the first notices first.
            const time = Date.parse(message.get("time"));
            if (first.length && time <= firstTime) {
                firstTime = time - 1;
                first.forEach((n) => muc.messages.get(n.id)?.save("time", new Date(firstTime).toISOString()));
                muc.messages.sort();
            }
            if (!waiting.size) {
                muc.messages.off("add", onAdd);
            }
        };
        muc.messages.on("add", onAdd);
    }

    // -- who came and went, and the end ------------------------------------------

    function watch(muc) {
        if (muc.huddleWatched) {
            return;
        }
        muc.huddleWatched = true;
        const here = new Set(
            muc.occupants.filter((o) => o.get("presence") === "online").map((o) => o.get("nick")),
        );
        const say = (text) => {
            const id = `huddle-${u.getUniqueId()}`;
            rememberNotice(muc, id, text, new Date().toISOString());
            muc.messages.create(noticeAttrs({ id, text }, new Date().toISOString()));
        };
        const came = (occupant) => {
            const nick = occupant.get("nick");
            if (!muc.isEntered() || !nick || isMine(nick) || nick === muc.get("nick") || here.has(nick)) {
                return;
            }
            if (occupant.get("presence") === "online") {
                here.add(nick);
                say(`${occupant.getDisplayName()} joined the chat.`);
            }
        };
        const went = (occupant) => {
            const nick = occupant.get("nick");
            if (!muc.isEntered() || !here.has(nick)) {
                return;
            }
            here.delete(nick);
            say(`${occupant.getDisplayName()} left the chat.`);
        };
        muc.occupants.on("add", came);
        muc.occupants.on("change:presence", (o) => (o.get("presence") === "online" ? came(o) : went(o)));
        muc.occupants.on("remove", went);

        muc.session.on("change:connection_status", () => {
            if (muc.session.get("connection_status") === converse.ROOMSTATUS.DESTROYED) {
                chatEnded(muc);
            }
        });
    }

    function chatEnded(muc) {
        if (chat.ended) {
            return;
        }
        const last = muc.messages.last();
        const transcript = transcriptOf(muc);
        chat.ended = {
            at: new Date().toISOString(),
            notice: last?.get("huddle_notice") ? last.get("message") : DEFAULT_ENDED,
            // Ended while she was away: this page never saw the chat, the last one did.
            transcript: transcript.lines ? transcript : chat.transcript,
        };
        delete chat.transcript;
        widget.save();
        widget.onEnded();
    }

    // -- the transcript: what the widget shows, as text ----------------------------

    function transcriptOf(muc) {
        const lines = [];
        const messages = muc?.messages?.models ?? [];
        for (const m of messages) {
            const text = m.get("message") ?? m.get("body");
            if (!text) {
                continue;
            }
            const time = dayjs(m.get("time")).format("YYYY-MM-DD HH:mm");
            if (m.get("huddle_notice")) {
                lines.push(`[${time}] ${indent(text)}`);
            } else if (m.get("type") === "groupchat" && !m.get("is_ephemeral")) {
                const failed = m.get("huddle_undelivered") || m.get("error") ? " (not delivered)" : "";
                lines.push(`[${time}] ${m.getDisplayName()}: ${indent(text)}${failed}`);
            }
        }
        const now = dayjs();
        const started = chat.started ? dayjs(chat.started) : now;
        const header = [
            `${widget.title}: transcript`,
            `${chat.name}, ${started.format("D MMMM YYYY")}`,
            "",
        ];
        return {
            filename: `chat-transcript-${started.format("YYYY-MM-DD-HHmm")}.txt`,
            text: [...header, ...lines, ""].join("\n"),
            lines: lines.length,
        };
    }

    return connected;
}

function indent(text) {
    return String(text).replace(/\r?\n/g, "\n    ");
}

function errorText(error) {
    return error?.getElementsByTagNameNS("urn:ietf:params:xml:ns:xmpp-stanzas", "text")[0]?.textContent?.trim() || "";
}

const FALLBACK_ERRORS = {
    "conflict": "This chat has been rated already; thank you.",
    "unexpected-request": "Please try again once the chat has ended.",
    "item-not-found": "This chat is no longer known to the service.",
    "feature-not-implemented": "Transcripts are not sent by email here.",
    "not-acceptable": "No email address was given for this chat.",
    "policy-violation": "The transcript has been sent several times already.",
    "remote-server-timeout": "The email could not be sent just now; please try again later.",
};

/**
 * Sends an IQ to the service; resolves with { ok, final, text } for the visitor:
 * the service's own explanation when it refuses, never raw XML.
 */
async function request(api, iq, thanks, finalErrors) {
    const answer = await api.sendIQ(iq, undefined, false);
    if (!answer) {
        return { ok: false, final: false, text: "The service did not answer. Please try again later." };
    }
    if (answer.getAttribute("type") === "result") {
        return { ok: true, final: true, text: thanks };
    }
    const error = answer.getElementsByTagName("error")[0];
    const condition = Array.from(error?.children ?? []).find(
        (c) => c.namespaceURI === NS_STANZAS && c.localName !== "text",
    )?.localName;
    return {
        ok: false,
        final: finalErrors.includes(condition),
        text: errorText(error) || FALLBACK_ERRORS[condition] || "Sorry, that did not work. Please try again later.",
    };
}

function visitorDetails(stx, chat) {
    // stx escapes every interpolated value.
    return stx`<visitor xmlns="${NS_VISITOR}">
        <name>${chat.name}</name>
        <email>${chat.email}</email>
        <page>${chat.page}</page>
        <user-agent>${navigator.userAgent}</user-agent>
    </visitor>`;
}
