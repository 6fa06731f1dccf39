/*
 * Huddle visitor widget: one tag puts a "Chat with us" button on any page.
 *
 *   <script src="https://chat.example.org/chat/huddle-widget.js" async
 *           data-websocket="wss://chat.example.org/xmpp-websocket"
 *           data-domain="guest.example.org"
 *           data-service="support.example.org"></script>
 *
 * Every data- setting is optional; prosody-config/WIDGET.md lists them. This
 * file asks the pre-chat questions, picks the chat's room, starts Converse.js
 * (which does all the XMPP: anonymous login over the websocket, the room, the
 * chat itself) and, once the chat has ended, asks for a rating and offers the
 * transcript. The Converse plugins that go with it:
 *   huddle-visitor.js   the visitor's details and question, her own name, the
 *                       room's notices kept across reloads, the end of the chat,
 *                       the rating and transcript requests
 *   huddle-delivery.js  "sending…" until the room reflects a message, then
 *                       "not delivered — retry" if it never does
 *   huddle-notices.js   shows what the room says as itself
 *
 * A classic script rather than a module, so that `async` works as site owners
 * expect and document.currentScript tells where the widget was loaded from.
 *
 * Everything a visitor or staff member wrote reaches the page through
 * textContent or Converse's own text rendering, never as HTML.
 */
(() => {
    "use strict";

    const script = document.currentScript;
    const here = new URL(".", script.src);
    const server = new URL(script.src);
    const options = script.dataset;
    // Defaults fit Prosody serving the widget on the staff domain, with Huddle's
    // default names (guest.<domain>, support.<domain>): true of `huddle dev`.
    const settings = {
        websocket:
            options.websocket ||
            `${server.protocol === "https:" ? "wss" : "ws"}://${server.host}/xmpp-websocket`,
        domain: options.domain || `guest.${server.hostname}`,
        service: options.service || `support.${server.hostname}`,
        converse: new URL(options.converse || "../converse/", here).href,
        title: options.title || "Chat with us",
        open: options.open === "true",
    };
    // sessionStorage: the chat lives as long as the browser tab, so a reload
    // (or another page of the same site) returns to it, and a new tab starts afresh.
    const STORAGE_KEY = "huddle-chat";
    // What Converse.js keeps in sessionStorage (its "converse-session" store). Every
    // page load is a new anonymous login with a new address, under which Converse
    // files everything anew: what earlier loads left there is never read again.
    const CONVERSE_STORE_PREFIX = "converse-session/";

    function savedChat() {
        try {
            return JSON.parse(sessionStorage.getItem(STORAGE_KEY));
        } catch {
            return null;
        }
    }

    function save(chat) {
        sessionStorage.setItem(STORAGE_KEY, JSON.stringify(chat));
    }

    function forgetEarlierSessions() {
        const stale = [];
        for (let i = 0; i < sessionStorage.length; i++) {
            const key = sessionStorage.key(i);
            if (key?.startsWith(CONVERSE_STORE_PREFIX)) {
                stale.push(key);
            }
        }
        stale.forEach((key) => sessionStorage.removeItem(key));
    }

    // The room name is the chat's only secret: 128 random bits, as hex.
    function newRoom() {
        const bytes = crypto.getRandomValues(new Uint8Array(16));
        const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
        return `chat-${hex}@${settings.service}`;
    }

    function addStylesheet(href) {
        const link = document.createElement("link");
        link.rel = "stylesheet";
        link.href = href;
        document.head.append(link);
    }

    // Five stars; 5 to 1 in the markup (shown 1 to 5), so that CSS can light a
    // star and the ones before it. Each radio button lies over its star.
    const STARS = [5, 4, 3, 2, 1]
        .map(
            (n) => `<label title="${n} of 5"><input type="radio" name="score" value="${n}" required
                aria-label="${n} of 5"><span aria-hidden="true">★</span></label>`,
        )
        .join("");

    function buildWidget() {
        const root = document.createElement("div");
        root.className = "huddle-widget";
        // Static markup only: the title and everything said go in through textContent.
        root.innerHTML = `
            <button type="button" class="huddle-launcher"></button>
            <section class="huddle-panel" role="dialog" hidden>
                <header class="huddle-header">
                    <span class="huddle-title"></span>
                    <span class="huddle-header__actions">
                        <button type="button" class="huddle-icon huddle-download-live" hidden
                                title="Download transcript" aria-label="Download transcript">&#x2913;</button>
                        <button type="button" class="huddle-icon huddle-minimise"
                                title="Minimise" aria-label="Minimise">&minus;</button>
                    </span>
                </header>
                <form class="huddle-form">
                    <p class="huddle-intro">Hello! Tell us who you are and how we can help,
                        and someone from our team will answer here.</p>
                    <label><span class="huddle-label">Your name</span>
                        <input name="name" required maxlength="64" autocomplete="name">
                    </label>
                    <label><span class="huddle-label">Email <small>(optional)</small></span>
                        <input name="email" type="email" maxlength="254" autocomplete="email">
                    </label>
                    <label class="huddle-form__question"><span class="huddle-label">How can we help?</span>
                        <textarea name="question" required maxlength="2000" rows="3"></textarea>
                    </label>
                    <button type="submit" class="huddle-button">Start chat</button>
                </form>
                <div class="huddle-chat" hidden><converse-root></converse-root></div>
                <p class="huddle-problem" role="alert" hidden></p>
                <section class="huddle-ended" hidden>
                    <p class="huddle-ended__notice"></p>
                    <form class="huddle-rating">
                        <fieldset>
                            <legend>How did we do?</legend>
                            <div class="huddle-stars">${STARS}</div>
                        </fieldset>
                        <label><span class="huddle-label">Anything to add? <small>(optional)</small></span>
                            <textarea name="comment" maxlength="1000" rows="3"></textarea>
                        </label>
                        <button type="submit" class="huddle-button">Send rating</button>
                    </form>
                    <p class="huddle-rating__result" role="status" hidden></p>
                    <div class="huddle-ended__actions">
                        <button type="button" class="huddle-button huddle-button--quiet huddle-download">Download transcript</button>
                        <button type="button" class="huddle-button huddle-button--quiet huddle-email" hidden>Email me the transcript</button>
                    </div>
                    <p class="huddle-email__result" role="status" hidden></p>
                    <button type="button" class="huddle-button huddle-button--quiet huddle-new-chat">Start a new chat</button>
                </section>
            </section>`;
        root.querySelector(".huddle-launcher").textContent = settings.title;
        root.querySelector(".huddle-title").textContent = settings.title;
        document.body.append(root);
        return root;
    }

    /** A text file from the visitor's browser: the conversation as she saw it. */
    function download(transcript) {
        const blob = new Blob([transcript.text], { type: "text/plain;charset=utf-8" });
        const link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = transcript.filename;
        link.hidden = true;
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    }

    function init() {
        const root = buildWidget();
        const $ = (selector) => root.querySelector(selector);
        const launcher = $(".huddle-launcher");
        const panel = $(".huddle-panel");
        const form = $(".huddle-form");
        const chatBox = $(".huddle-chat");
        const problem = $(".huddle-problem");
        const ended = $(".huddle-ended");
        const rating = $(".huddle-rating");
        const ratingResult = $(".huddle-rating__result");
        const emailButton = $(".huddle-email");
        const emailResult = $(".huddle-email__result");
        const liveDownload = $(".huddle-download-live");

        let chat = savedChat();
        // Set once Converse has started: { api, transcript(), rate(), emailTranscript(), … }
        // (huddle-visitor.js). Converse starts once per page.
        let session = null;
        let starting = null;
        // Set when the chat is given up for a new one: nothing of it is saved again.
        let discarded = false;
        const saveChat = () => discarded || save(chat);

        const show = (open) => {
            panel.hidden = !open;
            launcher.hidden = open;
        };
        const showOnly = (part) => {
            for (const each of [form, chatBox, problem, ended]) {
                each.hidden = each !== part;
            }
        };

        function startConverse({ join }) {
            starting ??= (async () => {
                forgetEarlierSessions();
                addStylesheet(new URL("converse.min.css", settings.converse).href);
                const [{ default: converse }, visitor, delivery, notices] = await Promise.all([
                    import(new URL("converse.min.js", settings.converse).href),
                    import(new URL("huddle-visitor.js", here).href),
                    import(new URL("huddle-delivery.js", here).href),
                    import(new URL("huddle-notices.js", here).href),
                ]);
                const connected = visitor.addVisitorPlugin(converse, {
                    chat,
                    service: settings.service,
                    title: settings.title,
                    save: saveChat,
                    onEnded: showEnded,
                    onProblem: showProblem,
                });
                delivery.addDeliveryPlugin(converse, { chat, save: saveChat });
                notices.addNoticesPlugin(converse);
                await converse.initialize({
                    authentication: "anonymous",
                    auto_login: true,
                    jid: settings.domain,
                    websocket_url: settings.websocket,
                    discover_connection_methods: false,
                    view_mode: "embedded",
                    // One chat, no controlbox; only to send a request for a chat that
                    // ended before this page load, Converse runs with no room (and out
                    // of sight).
                    singleton: join,
                    // No participants list: the panel is small, and the visitor talks to "us".
                    auto_join_rooms: join
                        ? [{ jid: chat.room, nick: chat.name, hidden_occupants: true }]
                        : [],
                    assets_path: settings.converse,
                    whitelisted_plugins: ["huddle-visitor", "huddle-delivery", "huddle-notices"],
                    // Nothing to encrypt end to end: the support service reads every
                    // message to decide who may see it.
                    blacklisted_plugins: ["converse-omemo", "converse-omemo-views"],
                    // Each reload is a new anonymous login: keep nothing beyond the tab.
                    persistent_store: "sessionStorage",
                    // Without stream management Converse leaves the room when the page
                    // unloads. With it, Prosody would keep the old session (and so the
                    // visitor's seat) for minutes, and the reloaded page could not rejoin.
                    enable_smacks: false,
                    // The support service names the visitor; the visitor needs no commands.
                    locked_muc_nickname: true,
                    muc_disable_slash_commands: true,
                    // Converse's own notices speak XMPP ("groupchat", "nickname"); the
                    // visitor plugin says who came and went in her words instead.
                    muc_show_info_messages: [],
                    // What she sent stays as sent: staff read it at once, and her
                    // transcript must match theirs.
                    allow_message_corrections: false,
                    allow_message_retraction: "moderator",
                    show_client_info: false,
                    // The paperclip (XEP-0363 upload) shows by itself when her server
                    // offers an upload service.
                    visible_toolbar_buttons: {
                        call: false,
                        clear: false,
                        emoji: true,
                        location: false,
                        spoiler: false,
                    },
                });
                session = await connected;
                return session;
            })();
            return starting;
        }

        function start() {
            showOnly(chatBox);
            show(true);
            startConverse({ join: true })
                .then((s) => {
                    liveDownload.hidden = false;
                    liveDownload.onclick = () => download(s.transcript());
                })
                .catch((error) => {
                    showProblem("Sorry, the chat could not start. Please try again later.");
                    console.error("Huddle widget:", error);
                });
        }

        function showProblem(text) {
            problem.textContent = text;
            showOnly(problem);
            liveDownload.hidden = true;
        }

        // The chat has ended: it was closed while the page was open (the plugin
        // snapshots the transcript into `chat.ended`), or before this load.
        function showEnded() {
            liveDownload.hidden = true;
            $(".huddle-ended__notice").textContent =
                chat.ended?.notice || "This chat has ended. Thank you for contacting us!";
            rating.hidden = Boolean(chat.rating);
            ratingResult.hidden = !chat.rating;
            ratingResult.textContent = chat.rating?.text || "";
            emailButton.hidden = !(chat.email && chat.emailTranscripts);
            $(".huddle-download").hidden = !chat.ended?.transcript?.lines;
            showOnly(ended);
        }

        async function connected() {
            return session ?? startConverse({ join: false });
        }

        async function ask(button, output, request) {
            button.disabled = true;
            output.hidden = false;
            output.classList.remove("huddle-error");
            output.textContent = "One moment…";
            try {
                const answer = await request(await connected());
                output.textContent = answer.text;
                output.classList.toggle("huddle-error", !answer.ok);
                return answer;
            } catch (error) {
                console.error("Huddle widget:", error);
                output.textContent = "Sorry, that did not work. Please try again later.";
                output.classList.add("huddle-error");
                return { ok: false };
            } finally {
                button.disabled = false;
            }
        }

        rating.addEventListener("submit", async (event) => {
            event.preventDefault();
            const fields = new FormData(rating);
            const score = Number(fields.get("score"));
            const comment = fields.get("comment").trim();
            const answer = await ask(rating.querySelector("button"), ratingResult, (s) =>
                s.rate(score, comment),
            );
            if (answer.final) {
                chat.rating = { score, text: answer.text };
                save(chat);
                rating.hidden = true;
            }
        });

        emailButton.addEventListener("click", () =>
            ask(emailButton, emailResult, (s) => s.emailTranscript()),
        );
        $(".huddle-download").addEventListener("click", () =>
            download(session ? session.transcript() : chat.ended.transcript),
        );
        $(".huddle-new-chat").addEventListener("click", () => {
            sessionStorage.removeItem(STORAGE_KEY);
            if (starting) {
                discarded = true;
                // Converse runs once per page, and it was for the chat that ended:
                // a fresh page starts the next one, with the form open.
                sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ reopen: true }));
                location.reload();
                return;
            }
            chat = null;
            form.reset();
            showOnly(form);
        });

        launcher.addEventListener("click", () => show(true));
        $(".huddle-minimise").addEventListener("click", () => show(false));
        form.addEventListener("submit", (event) => {
            event.preventDefault();
            // `required` lets a name of only spaces through; the trimmed value does not.
            for (const input of [form.elements.name, form.elements.question]) {
                input.value = input.value.trim();
            }
            if (!form.reportValidity()) {
                return;
            }
            const fields = new FormData(form);
            chat = {
                room: newRoom(),
                name: fields.get("name"),
                email: fields.get("email").trim(),
                question: fields.get("question"),
                page: location.href,
                started: new Date().toISOString(),
                asked: false,
            };
            save(chat);
            start();
        });

        addStylesheet(new URL("huddle-widget.css", here).href);
        if (chat?.ended) {
            showEnded();
            show(true);
        } else if (chat?.room) {
            start();
        } else {
            const reopen = Boolean(chat?.reopen);
            chat = null;
            sessionStorage.removeItem(STORAGE_KEY);
            showOnly(form);
            show(settings.open || reopen);
        }
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", init);
    } else {
        init();
    }
})();
